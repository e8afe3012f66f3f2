import { VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';
import { definePbMessage } from '../registry';
import { readText } from '../text';

// RFC 5793 4.3: PB-Experimental, opaque. strongSwan answers one with NOSKIP as unsupported.
export const PbExperimentalMsg = definePbMessage<Buffer>({
  vendor: VENDOR.IETF,
  type: 0,
  name: 'PB-Experimental',
  noskip: 'any',
  minLength: 12,
  unsupportedWithNoskip: true,
  decode: (r) => r.rest(),
  encode: (w, v) => void w.bytes(v),
  describe: (v) => [`${v.length} bytes of experimental data`],
});

// RFC 5793 4.10: "Accept-Language: " followed by an RFC 3282 language list
export const ACCEPT_LANGUAGE = 'Accept-Language: ';

/** Value = the language list ('' for an empty message, which states no preference). */
export const PbLanguagePreferenceMsg = definePbMessage<string>({
  vendor: VENDOR.IETF,
  type: 6,
  name: 'PB-Language-Preference',
  noskip: 'clear',
  minLength: 12,
  decode(r) {
    if (r.atEnd) return '';
    const at = r.offset;
    const text = readText(r, r.remaining, 'PB-Language-Preference');
    if (!text.startsWith(ACCEPT_LANGUAGE))
      throw new DecodeError('invalid', 'PB-Language-Preference', at, `must start with '${ACCEPT_LANGUAGE}'`);
    return text.slice(ACCEPT_LANGUAGE.length);
  },
  encode: (w, v) => void (v === '' ? w : w.utf8(ACCEPT_LANGUAGE + v)),
  describe: (v) => [`language preference '${v}'`],
});
