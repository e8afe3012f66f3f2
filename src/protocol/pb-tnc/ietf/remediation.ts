import { hex24, hex32, VENDOR } from '../../vendors';
import { definePbMessage } from '../registry';
import { readLangString, readText, writeLangString } from '../text';

/** RFC 5793 4.8: IETF parameter types 1 = URI, 2 = String; other (vendor, type) pairs stay raw. */
export type RemediationParameters =
  | { kind: 'uri'; uri: string }
  | { kind: 'string'; text: string; language: string }
  | { kind: 'raw'; vendor: number; type: number; raw: Buffer };

const URI = 1;
const STRING = 2;

export const PbRemediationParametersMsg = definePbMessage<RemediationParameters>({
  vendor: VENDOR.IETF,
  type: 4,
  name: 'PB-Remediation-Parameters',
  noskip: 'clear',
  minLength: 20,
  resultOnly: true,
  decode(r) {
    r.skip(1, 'PB-Remediation-Parameters reserved');
    const vendor = r.u24('PB-Remediation-Parameters vendor ID');
    const type = r.u32('PB-Remediation-Parameters type');
    if (vendor === VENDOR.IETF && type === URI)
      return { kind: 'uri', uri: readText(r, r.remaining, 'Remediation-URI') };
    if (vendor === VENDOR.IETF && type === STRING)
      return { kind: 'string', ...readLangString(r, 'Remediation-String') };
    return { kind: 'raw', vendor, type, raw: r.rest() };
  },
  encode(w, v) {
    w.u8(0);
    if (v.kind === 'uri') w.u24(VENDOR.IETF).u32(URI).utf8(v.uri);
    else if (v.kind === 'string') writeLangString(w.u24(VENDOR.IETF).u32(STRING), v);
    else w.u24(v.vendor).u32(v.type).bytes(v.raw);
  },
  describe(v) {
    if (v.kind === 'uri') return [`remediation URI '${v.uri}'`];
    if (v.kind === 'string') return [`remediation string '${v.text}' [${v.language}]`];
    return [`remediation parameters ${hex24(v.vendor)}/${hex32(v.type)} (${v.raw.length} bytes)`];
  },
});
