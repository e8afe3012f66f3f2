import { defineAttribute } from '../registry';
import { hex24, hex32, VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';
import { enumValue, prefixedText, restText } from './text';

// RFC 5793 4.6 / RFC 5792 4.2.9: assessment result values, worded as strongSwan prints evaluations
export const ASSESSMENT_RESULT = [
  'compliant',
  'non-compliant minor',
  'non-compliant major',
  'error',
  "don't know",
] as const;
export type AssessmentResultName = (typeof ASSESSMENT_RESULT)[number];

/** An IETF attribute whose value is one u32 naming one of `values`. */
function u32EnumAttribute<V extends string>(
  type: number,
  name: string,
  what: string,
  values: readonly V[],
  describe: (v: V) => string,
) {
  return defineAttribute<V>({
    vendor: VENDOR.IETF,
    type,
    name,
    decode(r) {
      const at = r.offset;
      return enumValue(values, r.u32(what), what, at);
    },
    encode: (w, v) => void w.u32(values.indexOf(v)),
    describe: (v) => [describe(v)],
  });
}

// RFC 5792 4.2.9: Assessment Result — u32
export const AssessmentResultAttr = u32EnumAttribute(
  9,
  'Assessment Result',
  'Assessment Result',
  ASSESSMENT_RESULT,
  (v) => `assessment result is '${v}'`,
);

/** RFC 5792 4.2.10: IETF parameter types 1 (URI) and 2 (string); others kept as bytes. */
export type RemediationInstructions =
  | { kind: 'uri'; uri: string }
  | { kind: 'string'; text: string; language: string }
  | { kind: 'other'; vendor: number; type: number; raw: Buffer };

const URI = 1;
const STRING = 2;

// RFC 5792 4.2.10: reserved(1), parameters vendor(3), parameters type(4), parameters
export const RemediationInstructionsAttr = defineAttribute<RemediationInstructions>({
  vendor: VENDOR.IETF,
  type: 10,
  name: 'Remediation Instructions',
  decode(r) {
    r.skip(1, 'Remediation Instructions reserved');
    const vendor = r.u24('Remediation Instructions parameters vendor ID');
    const type = r.u32('Remediation Instructions parameters type');
    if (vendor === VENDOR.IETF && type === URI)
      return { kind: 'uri', uri: restText(r, 'Remediation Instructions URI') };
    if (vendor === VENDOR.IETF && type === STRING) {
      const text = prefixedText(r, 4, 'Remediation Instructions string');
      const language = prefixedText(r, 1, 'Remediation Instructions language code');
      return { kind: 'string', text, language };
    }
    return { kind: 'other', vendor, type, raw: Buffer.from(r.rest()) };
  },
  encode(w, v) {
    w.u8(0);
    if (v.kind === 'uri') w.u24(VENDOR.IETF).u32(URI).utf8(v.uri);
    else if (v.kind === 'string')
      w.u24(VENDOR.IETF)
        .u32(STRING)
        .lengthPrefixed(4, Buffer.from(v.text, 'utf8'))
        .lengthPrefixed(1, Buffer.from(v.language, 'utf8'));
    else w.u24(v.vendor).u32(v.type).bytes(v.raw);
  },
  describe(v) {
    if (v.kind === 'uri') return [`remediation URI '${v.uri}'`];
    if (v.kind === 'string') return [`remediation instructions [${v.language}] '${v.text}'`];
    return [`remediation parameters ${hex24(v.vendor)}/${hex32(v.type)}, ${v.raw.length} bytes`];
  },
});

// RFC 5792 4.2.11: forwarding status values
export const FORWARDING_STATUS = ['disabled', 'enabled', 'unknown'] as const;
export type ForwardingStatus = (typeof FORWARDING_STATUS)[number];

// RFC 5792 4.2.11: Forwarding Enabled — u32 0 disabled, 1 enabled, 2 unknown
export const ForwardingEnabledAttr = u32EnumAttribute(
  11,
  'Forwarding Enabled',
  'Forwarding Enabled status',
  FORWARDING_STATUS,
  (v) => `IPv4 forwarding is ${v}`,
);

// RFC 5792 4.2.12: Factory Default Password Enabled — u32 boolean (strongSwan rejects values above 1)
export const FactoryDefaultPasswordAttr = defineAttribute<boolean>({
  vendor: VENDOR.IETF,
  type: 12,
  name: 'Factory Default Password Enabled',
  decode(r) {
    const at = r.offset;
    const v = r.u32('Factory Default Password Enabled');
    if (v > 1) throw new DecodeError('invalid', 'Factory Default Password Enabled', at, `value ${v} is not 0 or 1`);
    return v === 1;
  },
  encode: (w, v) => void w.u32(v ? 1 : 0),
  describe: (v) => [`factory default password is ${v ? 'enabled' : 'disabled'}`],
});
