import { Reader, Writer } from '../../../../bytes/cursor';
import { DecodeError } from '../../../../bytes/errors';
import { VENDOR } from '../../../vendors';
import { AttributeType, defineAttribute } from '../../registry';
import {
  capabilityString,
  dhGroupName,
  dhGroupSetNames,
  hashAlgName,
  hashAlgSetNames,
  readSelectedDhGroup,
  readSelectedHash,
} from './values';

/** Attributes whose whole value is a 4-byte reserved field. */
export type NoValue = Record<string, never>;

export const PTS_TYPE = {
  REQ_PROTO_CAPS: 0x01000000,
  PROTO_CAPS: 0x02000000,
  DH_NONCE_PARAMS_REQ: 0x03000000,
  DH_NONCE_PARAMS_RESP: 0x04000000,
  DH_NONCE_FINISH: 0x05000000,
  MEAS_ALGO: 0x06000000,
  MEAS_ALGO_SELECTION: 0x07000000,
  GET_TPM_VERSION_INFO: 0x08000000,
  TPM_VERSION_INFO: 0x09000000,
  GET_AIK: 0x0d000000,
  AIK: 0x0e000000,
  REQ_FUNC_COMP_EVID: 0x00100000,
  GEN_ATTEST_EVID: 0x00200000,
  SIMPLE_COMP_EVID: 0x00300000,
  SIMPLE_EVID_FINAL: 0x00400000,
  REQ_FILE_META: 0x00700000,
  UNIX_FILE_META: 0x00900000,
  REQ_FILE_MEAS: 0x00c00000,
  FILE_MEAS: 0x00d00000,
} as const;

export function defineReservedOnly(type: number, name: string): AttributeType<NoValue> {
  return defineAttribute<NoValue>({
    vendor: VENDOR.TCG,
    type,
    name,
    decode(r) {
      r.skip(4, `${name} reserved`);
      return {};
    },
    encode(w) {
      w.u32(0);
    },
  });
}

/** u16 reserved + u16 flags/set: the layout of the capability and algorithm attributes. */
function reservedU16(r: Reader, what: string): number {
  r.skip(2, `${what} reserved`);
  return r.u16(what);
}

// PTS 3.7: Request PTS Protocol Capabilities / PTS Protocol Capabilities
export interface ProtoCaps {
  flags: number;
}

function defineCaps(type: number, name: string, verb: string): AttributeType<ProtoCaps> {
  return defineAttribute<ProtoCaps>({
    vendor: VENDOR.TCG,
    type,
    name,
    decode: (r) => ({ flags: reservedU16(r, `${name} flags`) & 0x1f }),
    encode: (w, v) => void w.u16(0).u16(v.flags & 0x1f),
    describe: (v) => [`${verb} PTS protocol capabilities: ${capabilityString(v.flags)}`],
  });
}

export const RequestProtoCapsAttr = defineCaps(
  PTS_TYPE.REQ_PROTO_CAPS,
  'Request PTS Protocol Capabilities',
  'requested',
);
export const ProtoCapsAttr = defineCaps(PTS_TYPE.PROTO_CAPS, 'PTS Protocol Capabilities', 'supported');

// PTS 3.9.1 / 3.9.2: Measurement Algorithm Request (a set) and Selection (one algorithm)
export interface MeasAlgoSet {
  algorithms: number;
}
export interface MeasAlgoSelection {
  algorithm: number;
}

export const MeasAlgoRequestAttr = defineAttribute<MeasAlgoSet>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.MEAS_ALGO,
  name: 'PTS Measurement Algorithm Request',
  decode: (r) => ({ algorithms: reservedU16(r, 'PTS measurement algorithm set') }),
  encode: (w, v) => void w.u16(0).u16(v.algorithms),
  describe: (v) => [`requested PTS measurement algorithms: ${hashAlgSetNames(v.algorithms).join(' ')}`],
});

export const MeasAlgoSelectionAttr = defineAttribute<MeasAlgoSelection>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.MEAS_ALGO_SELECTION,
  name: 'PTS Measurement Algorithm',
  decode(r) {
    r.skip(2, 'PTS measurement algorithm reserved');
    return { algorithm: readSelectedHash(r, 'selected PTS measurement algorithm') };
  },
  encode: (w, v) => void w.u16(0).u16(v.algorithm),
  describe: (v) => [`selected PTS measurement algorithm is ${hashAlgName(v.algorithm)}`],
});

// PTS 3.8.1: D-H Nonce Parameters Request
export interface DhNonceParamsRequest {
  /** Minimum responder nonce length; 0 = no minimum. */
  minNonceLength: number;
  dhGroups: number;
}

export const DhNonceParamsRequestAttr = defineAttribute<DhNonceParamsRequest>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.DH_NONCE_PARAMS_REQ,
  name: 'DH Nonce Parameters Request',
  decode(r) {
    r.skip(1, 'DH Nonce Parameters Request reserved');
    return { minNonceLength: r.u8('DH minimum nonce length'), dhGroups: r.u16('DH group set') };
  },
  encode: (w, v) => void w.u8(0).u8(v.minNonceLength).u16(v.dhGroups),
  describe: (v) => [
    `minimum nonce length is ${v.minNonceLength}`,
    `offered PTS DH groups: ${dhGroupSetNames(v.dhGroups).join(' ')}`,
  ],
});

// PTS 3.8.2: D-H Nonce Parameters Response
export interface DhNonceParamsResponse {
  dhGroup: number;
  /** Hash algorithms the responder accepts for the secret (strongSwan: its selected measurement algorithm). */
  hashAlgorithms: number;
  responderNonce: Buffer;
  /** MODP: big-endian, left-padded to the prime; ECP: X‖Y without the 0x04 prefix. */
  responderPublicValue: Buffer;
}

export const DhNonceParamsResponseAttr = defineAttribute<DhNonceParamsResponse>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.DH_NONCE_PARAMS_RESP,
  name: 'DH Nonce Parameters Response',
  decode(r) {
    r.skip(3, 'DH Nonce Parameters Response reserved');
    const nonceLen = r.u8('DH nonce length');
    const dhGroup = readSelectedDhGroup(r, 'selected DH group');
    const hashAlgorithms = r.u16('DH hash algorithm set');
    const responderNonce = r.bytes(nonceLen, 'DH responder nonce');
    return { dhGroup, hashAlgorithms, responderNonce, responderPublicValue: r.rest() };
  },
  encode(w, v) {
    w.zeros(3)
      .u8(nonceLength(v.responderNonce))
      .u16(v.dhGroup)
      .u16(v.hashAlgorithms)
      .bytes(v.responderNonce)
      .bytes(v.responderPublicValue);
  },
  describe: (v) => [`selected PTS DH group is ${dhGroupName(v.dhGroup)}`, `nonce length is ${v.responderNonce.length}`],
});

// PTS 3.8.3: D-H Nonce Finish
export interface DhNonceFinish {
  hashAlgorithm: number;
  initiatorPublicValue: Buffer;
  initiatorNonce: Buffer;
}

export const DhNonceFinishAttr = defineAttribute<DhNonceFinish>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.DH_NONCE_FINISH,
  name: 'DH Nonce Finish',
  decode(r) {
    r.skip(1, 'DH Nonce Finish reserved');
    const lenAt = r.offset;
    const nonceLen = r.u8('DH nonce length');
    const hashAlgorithm = readSelectedHash(r, 'selected DH hash algorithm');
    // PTS 3.8.3: the initiator nonce is the last `nonce length` bytes, after the public value
    if (nonceLen > r.remaining)
      throw new DecodeError(
        'overrun',
        'DH nonce length',
        lenAt,
        `nonce length ${nonceLen} exceeds the ${r.remaining} bytes left`,
      );
    const initiatorPublicValue = r.bytes(r.remaining - nonceLen, 'DH initiator public value');
    return { hashAlgorithm, initiatorPublicValue, initiatorNonce: r.bytes(nonceLen, 'DH initiator nonce') };
  },
  encode(w, v) {
    w.u8(0)
      .u8(nonceLength(v.initiatorNonce))
      .u16(v.hashAlgorithm)
      .bytes(v.initiatorPublicValue)
      .bytes(v.initiatorNonce);
  },
  describe: (v) => [
    `selected DH hash algorithm is ${hashAlgName(v.hashAlgorithm)}`,
    `nonce length is ${v.initiatorNonce.length}`,
  ],
});

function nonceLength(nonce: Uint8Array): number {
  if (nonce.length > 0xff) throw new RangeError(`nonce of ${nonce.length} bytes does not fit the 1-byte length`);
  return nonce.length;
}

// PTS 3.10: Get TPM Version Information; PTS 3.12: Get Attestation Identity Key
export const GetTpmVersionInfoAttr = defineReservedOnly(PTS_TYPE.GET_TPM_VERSION_INFO, 'Get TPM Version Information');
export const GetAikAttr = defineReservedOnly(PTS_TYPE.GET_AIK, 'Get Attestation Identity Key');

// PTS 3.11: TPM Version Information. TPM 1.2: TPM_CAP_VERSION_INFO. TPM 2.0 (strongSwan's 16-byte form):
// tag 0x0200, reserved, startup locality, TPM2_PT_REVISION, TPM2_PT_YEAR, TPM2_PT_MANUFACTURER.
export interface Tpm2VersionInfo {
  locality: number;
  /** TPM2_PT_REVISION, e.g. 138 = 1.38. */
  revision: number;
  year: number;
  /** TPM2_PT_MANUFACTURER as 4 ASCII bytes, e.g. "IBM\0", "STM ". */
  manufacturer: Buffer;
}

export interface TpmVersionInfo {
  /** The whole value as received (what a TPM 1.2 peer sends). */
  raw: Buffer;
  /** Parsed when the value is the TPM 2.0 form. */
  tpm2?: Tpm2VersionInfo;
}

export const TPM2_VERSION_INFO_TAG = 0x0200;
const TPM2_VERSION_INFO_LEN = 16;

export function encodeTpm2VersionInfo(v: Tpm2VersionInfo): Buffer {
  if (v.manufacturer.length !== 4) throw new RangeError('TPM manufacturer must be 4 bytes');
  return new Writer(16)
    .u16(TPM2_VERSION_INFO_TAG)
    .u8(0)
    .u8(v.locality)
    .u32(v.revision)
    .u32(v.year)
    .bytes(v.manufacturer)
    .finish();
}

function parseTpm2VersionInfo(raw: Buffer, base: number): Tpm2VersionInfo | undefined {
  if (raw.length !== TPM2_VERSION_INFO_LEN || raw.readUInt16BE(0) !== TPM2_VERSION_INFO_TAG) return undefined;
  const r = new Reader(raw, base);
  r.skip(3, 'TPM version info tag');
  return {
    locality: r.u8('TPM startup locality'),
    revision: r.u32('TPM revision'),
    year: r.u32('TPM year'),
    manufacturer: r.bytes(4, 'TPM manufacturer'),
  };
}

export const TpmVersionInfoAttr = defineAttribute<TpmVersionInfo>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.TPM_VERSION_INFO,
  name: 'TPM Version Information',
  decode(r) {
    const base = r.offset;
    const raw = r.rest();
    if (raw.length === 0) throw new DecodeError('truncated', 'TPM Version Information', base, 'empty value');
    const tpm2 = parseTpm2VersionInfo(raw, base);
    return tpm2 ? { raw, tpm2 } : { raw };
  },
  encode: (w, v) => void w.bytes(v.raw),
  describe: (v) => [
    v.tpm2 ? `Version Information: ${describeTpm2(v.tpm2)}` : `Version Information: TPM 1.2 (${v.raw.length} bytes)`,
  ],
});

/** `TPM 2.0 rev. 1.38 2018 STM  - startup locality: 3` */
function describeTpm2(v: Tpm2VersionInfo): string {
  const nul = v.manufacturer.indexOf(0);
  const maker = v.manufacturer.subarray(0, nul < 0 ? 4 : nul).toString('latin1');
  const rev = `${Math.floor(v.revision / 100)}.${String(v.revision % 100).padStart(2, '0')}`;
  return `TPM 2.0 rev. ${rev} ${v.year} ${maker} - startup locality: ${v.locality}`;
}

// PTS 3.13: Attestation Identity Key
export const AIK_FLAG_BARE_KEY = 0x80;

export interface Aik {
  /** true: DER SubjectPublicKeyInfo; false: DER X.509 certificate. Not trusted until checked against the DB/CA. */
  bareKey: boolean;
  der: Buffer;
}

export const AikAttr = defineAttribute<Aik>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.AIK,
  name: 'Attestation Identity Key',
  decode(r) {
    const flags = r.u8('AIK flags');
    const at = r.offset;
    const der = r.rest();
    if (der.length === 0) throw new DecodeError('truncated', 'AIK blob', at, 'empty key');
    return { bareKey: (flags & AIK_FLAG_BARE_KEY) !== 0, der };
  },
  encode: (w, v) => void w.u8(v.bareKey ? AIK_FLAG_BARE_KEY : 0).bytes(v.der),
  describe: (v) => [`AIK is ${v.bareKey ? 'a bare public key' : 'an X.509 certificate'} (${v.der.length} bytes)`],
});
