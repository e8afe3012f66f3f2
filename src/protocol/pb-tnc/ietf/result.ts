import { VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';
import { definePbMessage } from '../registry';
import { LangString, readLangString, writeLangString } from '../text';

/** RFC 5793 4.6 (values of TNC IF-IMV evaluation results). */
export const ASSESSMENT_RESULT_NAMES = [
  'compliant',
  'non-compliant minor',
  'non-compliant major',
  'error',
  "don't know",
];

export const PbAssessmentResultMsg = definePbMessage<number>({
  vendor: VENDOR.IETF,
  type: 2,
  name: 'PB-Assessment-Result',
  noskip: 'set',
  minLength: 16,
  exactLength: true,
  resultOnly: true,
  decode(r) {
    const at = r.offset;
    const result = r.u32('PB-Assessment-Result');
    if (result >= ASSESSMENT_RESULT_NAMES.length)
      throw new DecodeError('invalid', 'PB-Assessment-Result', at, `unknown result ${result}`);
    return result;
  },
  encode: (w, v) => void w.u32(v),
  describe: (v) => [`assessment result '${ASSESSMENT_RESULT_NAMES[v]}'`],
});

/** RFC 5793 4.7: index = access recommendation code. */
export const ACCESS_RECOMMENDATION_NAMES = ['', 'Access Allowed', 'Access Denied', 'Quarantined'];

export const PbAccessRecommendationMsg = definePbMessage<number>({
  vendor: VENDOR.IETF,
  type: 3,
  name: 'PB-Access-Recommendation',
  noskip: 'clear',
  minLength: 16,
  exactLength: true,
  resultOnly: true,
  decode(r) {
    r.skip(2, 'PB-Access-Recommendation reserved');
    const at = r.offset;
    const code = r.u16('PB-Access-Recommendation');
    if (code < 1 || code > 3)
      throw new DecodeError('invalid', 'PB-Access-Recommendation', at, `unknown recommendation ${code}`);
    return code;
  },
  encode: (w, v) => void w.u16(0).u16(v),
  describe: (v) => [`access recommendation '${ACCESS_RECOMMENDATION_NAMES[v]}'`],
});

// RFC 5793 4.11: PB-Reason-String
export const PbReasonStringMsg = definePbMessage<LangString>({
  vendor: VENDOR.IETF,
  type: 7,
  name: 'PB-Reason-String',
  noskip: 'clear',
  minLength: 17,
  resultOnly: true,
  decode: (r) => readLangString(r, 'PB-Reason-String'),
  encode: writeLangString,
  describe: (v) => [`reason string '${v.text}' [${v.language}]`],
});
