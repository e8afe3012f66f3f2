import { Reader, Writer } from '../../../../bytes/cursor';
import { DecodeError } from '../../../../bytes/errors';
import { VENDOR } from '../../../vendors';
import { defineAttribute } from '../../registry';
import { defineReservedOnly, PTS_TYPE } from './negotiation';
import {
  colonHex,
  ComponentName,
  COMPONENT_NAME_LEN,
  describeComponentName,
  hashAlgName,
  hex,
  PTS_TIME_LEN,
  readComponentName,
  readSelectedHash,
  writeComponentName,
  writeTime,
} from './values';

// PTS 3.14.1: Request Functional Component Evidence, repeated 12-byte entries
export const COMP_EVID_FLAG = { T: 0x80, V: 0x40, C: 0x20, P: 0x10 } as const;
const COMP_REQUEST_LEN = 4 + COMPONENT_NAME_LEN;

export interface ComponentRequest {
  /** T (transitive trust chain), V (verify), C (current evidence), P (PCR information). */
  flags: number;
  depth: number;
  component: ComponentName;
}

export interface ComponentEvidenceRequest {
  components: ComponentRequest[];
}

export const RequestComponentEvidenceAttr = defineAttribute<ComponentEvidenceRequest>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.REQ_FUNC_COMP_EVID,
  name: 'Request Functional Component Evidence',
  decode(r) {
    const at = r.offset;
    if (r.remaining === 0 || r.remaining % COMP_REQUEST_LEN !== 0) {
      throw new DecodeError(
        'invalid',
        'Request Functional Component Evidence length',
        at,
        `${r.remaining} bytes is not a positive multiple of ${COMP_REQUEST_LEN}`,
      );
    }
    const components: ComponentRequest[] = [];
    while (!r.atEnd) {
      const flags = r.u8('component evidence request flags') & 0xf0;
      const depth = r.u24('sub-component depth');
      components.push({ flags, depth, component: readComponentName(r, 'requested component') });
    }
    return { components };
  },
  encode(w, v) {
    for (const c of v.components) {
      w.u8(c.flags).u24(c.depth);
      writeComponentName(w, c.component);
    }
  },
  describe: (v) => ['evidence request by', ...v.components.map((c) => `  ${describeComponentName(c.component)}`)],
});

// PTS 3.14.2: Generate Attestation Evidence
export const GenerateAttestationEvidenceAttr = defineReservedOnly(
  PTS_TYPE.GEN_ATTEST_EVID,
  'Generate Attestation Evidence',
);

// PTS 3.15.1: Simple Component Evidence
export const SCE_FLAG_PCR = 0x80;
/** Validation result, bits 6..5 of the flags. */
export const SCE_VALIDATION = { NONE: 0x00, UNABLE: 0x20, FAILED: 0x40, PASSED: 0x60 } as const;
const SCE_VALIDATION_MASK = 0x60;
export const MEASUREMENT_TYPE_HASH = 0x80;
/** PCR transform: 0 none, 1 hash size matches the PCR, 2 hash shorter (padded), 3 hash longer. */
export const PCR_TRANSFORM = { NO: 0, MATCH: 1, SHORT: 2, LONG: 3 } as const;

export interface PcrChange {
  before: Buffer;
  after: Buffer;
}

/**
 * One measurement as the IMC claims it: untrusted until replayed against a verified quote.
 * Buffers are views into the received message (no copies): hold a copy if the message is reused.
 */
export interface UntrustedComponentEvidence {
  validation: number;
  depth: number;
  component: ComponentName;
  pcr: number;
  hashAlgorithm: number;
  transform: number;
  /** RFC 3339 UTC, 20 characters. */
  measurementTime: string;
  /** Present when validation is FAILED or PASSED, e.g. `sha256:/usr/bin/ls`. */
  policyUri?: string;
  pcrChange?: PcrChange;
  measurement: Buffer;
}

function readMeasurementType(r: Reader): void {
  const at = r.offset;
  const t = r.u8('measurement type');
  // PTS 3.15.1: the only measurement type defined is 0x80 (hash)
  if (t !== MEASUREMENT_TYPE_HASH)
    throw new DecodeError('invalid', 'measurement type', at, `measurement type 0x${t.toString(16)} not supported`);
}

function readPcrChange(r: Reader): PcrChange {
  const at = r.offset;
  const len = r.u16('PCR length');
  if (2 * len > r.remaining)
    throw new DecodeError('overrun', 'PCR length', at, `2 x ${len} PCR bytes exceed the ${r.remaining} bytes left`);
  return { before: r.bytes(len, 'PCR before value'), after: r.bytes(len, 'PCR after value') };
}

const EMPTY = Buffer.alloc(0);

function decodeComponentEvidence(r: Reader): UntrustedComponentEvidence {
  const flags = r.u8('Simple Component Evidence flags');
  const validation = flags & SCE_VALIDATION_MASK;
  const depth = r.u24('sub-component depth');
  const component = readComponentName(r, 'evidence component');
  readMeasurementType(r);
  const pcr = r.u24('extended PCR');
  const hashAlgorithm = readSelectedHash(r, 'evidence hash algorithm');
  const transform = r.u8('PCR transform');
  r.skip(1, 'Simple Component Evidence reserved');
  const measurementTime = r.bytes(PTS_TIME_LEN, 'measurement time').toString('latin1');
  // PTS 3.15.1: a policy URI follows only when validation failed or passed
  const hasUri = validation === SCE_VALIDATION.FAILED || validation === SCE_VALIDATION.PASSED;
  const v: UntrustedComponentEvidence = {
    validation,
    depth,
    component,
    pcr,
    hashAlgorithm,
    transform,
    measurementTime,
    measurement: EMPTY,
  };
  if (hasUri) v.policyUri = r.lengthPrefixed(2, 'verification policy URI').toString('utf8');
  if (flags & SCE_FLAG_PCR) v.pcrChange = readPcrChange(r);
  v.measurement = r.rest();
  return v;
}

function encodeComponentEvidence(w: Writer, v: UntrustedComponentEvidence): void {
  const hasUri = v.validation === SCE_VALIDATION.FAILED || v.validation === SCE_VALIDATION.PASSED;
  if (hasUri !== (v.policyUri !== undefined))
    throw new RangeError('a policy URI goes with validation FAILED or PASSED, and only then');
  w.u8((v.pcrChange ? SCE_FLAG_PCR : 0) | (v.validation & SCE_VALIDATION_MASK)).u24(v.depth);
  writeComponentName(w, v.component);
  w.u8(MEASUREMENT_TYPE_HASH).u24(v.pcr).u16(v.hashAlgorithm).u8(v.transform).u8(0);
  writeTime(w, v.measurementTime, 'measurement time');
  if (v.policyUri !== undefined) w.lengthPrefixed(2, Buffer.from(v.policyUri, 'utf8'));
  if (v.pcrChange) {
    if (v.pcrChange.before.length !== v.pcrChange.after.length)
      throw new RangeError('PCR before and after values differ in length');
    w.lengthPrefixed(2, v.pcrChange.before).bytes(v.pcrChange.after);
  }
  w.bytes(v.measurement);
}

export const SimpleComponentEvidenceAttr = defineAttribute<UntrustedComponentEvidence>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.SIMPLE_COMP_EVID,
  name: 'Simple Component Evidence',
  decode: decodeComponentEvidence,
  encode: encodeComponentEvidence,
  describe: (v) => [
    describeComponentName(v.component),
    `measurement time: ${v.measurementTime}`,
    `PCR ${String(v.pcr).padStart(2)} extended with: ${colonHex(v.measurement)}`,
    ...(v.policyUri !== undefined ? [`'${v.policyUri}'`] : []),
  ],
});

// PTS 3.15.2: Simple Evidence Final. Quote mode = flags & 0xD0.
export const QUOTE_MODE = {
  NONE: 0x00,
  TPM_QUOTE_INFO: 0x40,
  TPM_QUOTE_INFO2: 0x80,
  TPM_QUOTE_INFO2_CAP_VER: 0xc0,
  TPM2: 0x10,
} as const;
const QUOTE_MODE_MASK = 0xd0;
export const SEF_FLAG_EVID_SIG = 0x20;

/** TPM 2.0 TPMS_ATTEST parts strongSwan copies from the quote (the rest the verifier rebuilds). */
export interface Tpm2QuoteParts {
  qualifiedSigner: Buffer;
  /** TPMS_CLOCK_INFO, 17 bytes. */
  clockInfo: Buffer;
  /** firmwareVersion, 8 bytes. */
  firmwareVersion: Buffer;
  /** TPML_PCR_SELECTION as the TPM produced it. */
  pcrSelection: Buffer;
}

/** The IMC's claimed quote: untrusted until the signature verifies under a trusted AIK. */
export interface UntrustedEvidenceFinal {
  quoteMode: number;
  /** Hash algorithm of the PCR composite (0 when there is no quote). */
  compositeHashAlgorithm: number;
  pcrCompositeDigest?: Buffer;
  tpm2?: Tpm2QuoteParts;
  quoteSignature?: Buffer;
  evidenceSignature?: Buffer;
}

const CLOCK_INFO_LEN = 17;
const FIRMWARE_VERSION_LEN = 8;

function readFixed(r: Reader, len: number, what: string): Buffer {
  const at = r.offset;
  const b = r.lengthPrefixed(2, what);
  if (b.length !== len) throw new DecodeError('invalid', what, at, `length ${b.length}, expected ${len}`);
  return b;
}

function readTpm2Parts(r: Reader): Tpm2QuoteParts {
  return {
    qualifiedSigner: r.lengthPrefixed(2, 'TPM2 qualified signer'),
    clockInfo: readFixed(r, CLOCK_INFO_LEN, 'TPM2 clock info'),
    firmwareVersion: readFixed(r, FIRMWARE_VERSION_LEN, 'TPM2 firmware version'),
    pcrSelection: r.lengthPrefixed(2, 'TPM2 PCR selection'),
  };
}

function decodeEvidenceFinal(r: Reader): UntrustedEvidenceFinal {
  const at = r.offset;
  const flags = r.u8('Simple Evidence Final flags');
  const quoteMode = flags & QUOTE_MODE_MASK;
  if (!Object.values(QUOTE_MODE).includes(quoteMode as never))
    throw new DecodeError('invalid', 'quote mode', at, `quote flags 0x${quoteMode.toString(16)} not defined`);
  r.skip(1, 'Simple Evidence Final reserved');
  const compositeHashAlgorithm = r.u16('composite hash algorithm');
  const v: UntrustedEvidenceFinal = { quoteMode, compositeHashAlgorithm };
  if (quoteMode !== QUOTE_MODE.NONE) {
    v.pcrCompositeDigest = r.lengthPrefixed(4, 'PCR composite digest');
    if (quoteMode === QUOTE_MODE.TPM2) v.tpm2 = readTpm2Parts(r);
    v.quoteSignature = r.lengthPrefixed(4, 'quote signature');
  }
  if (flags & SEF_FLAG_EVID_SIG) v.evidenceSignature = r.rest();
  return v;
}

function encodeEvidenceFinal(w: Writer, v: UntrustedEvidenceFinal): void {
  const quoted = v.quoteMode !== QUOTE_MODE.NONE;
  if (quoted !== (v.pcrCompositeDigest !== undefined && v.quoteSignature !== undefined))
    throw new RangeError('a quote needs a composite digest and a signature');
  if ((v.quoteMode === QUOTE_MODE.TPM2) !== (v.tpm2 !== undefined))
    throw new RangeError('TPM 2.0 quote parts go with quote mode TPM2, and only then');
  w.u8(v.quoteMode | (v.evidenceSignature ? SEF_FLAG_EVID_SIG : 0))
    .u8(0)
    .u16(v.compositeHashAlgorithm);
  if (v.pcrCompositeDigest) w.lengthPrefixed(4, v.pcrCompositeDigest);
  if (v.tpm2) {
    w.lengthPrefixed(2, v.tpm2.qualifiedSigner).lengthPrefixed(2, v.tpm2.clockInfo);
    w.lengthPrefixed(2, v.tpm2.firmwareVersion).lengthPrefixed(2, v.tpm2.pcrSelection);
  }
  if (v.quoteSignature) w.lengthPrefixed(4, v.quoteSignature);
  if (v.evidenceSignature) w.bytes(v.evidenceSignature);
}

const quoteModeNames = new Map<number, string>([
  [QUOTE_MODE.NONE, 'no quote'],
  [QUOTE_MODE.TPM_QUOTE_INFO, 'TPM 1.2 quote (TPM_QUOTE_INFO)'],
  [QUOTE_MODE.TPM_QUOTE_INFO2, 'TPM 1.2 quote (TPM_QUOTE_INFO2)'],
  [QUOTE_MODE.TPM_QUOTE_INFO2_CAP_VER, 'TPM 1.2 quote (TPM_QUOTE_INFO2 + TPM_CAP_VERSION_INFO)'],
  [QUOTE_MODE.TPM2, 'TPM 2.0 quote'],
]);

export const SimpleEvidenceFinalAttr = defineAttribute<UntrustedEvidenceFinal>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.SIMPLE_EVID_FINAL,
  name: 'Simple Evidence Final',
  decode: decodeEvidenceFinal,
  encode: encodeEvidenceFinal,
  describe: (v) => [
    `${quoteModeNames.get(v.quoteMode)}${v.pcrCompositeDigest ? `, PCR composite digest (${hashAlgName(v.compositeHashAlgorithm)}): ${hex(v.pcrCompositeDigest)}` : ''}`,
    ...(v.quoteSignature ? [`quote signature: ${v.quoteSignature.length} bytes`] : []),
  ],
});
