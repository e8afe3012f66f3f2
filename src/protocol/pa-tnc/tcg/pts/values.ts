import { Reader, Writer } from '../../../../bytes/cursor';
import { DecodeError } from '../../../../bytes/errors';
import { VENDOR, vendorName } from '../../../vendors';

// PTS 3.7 (TCG IF-M binding): PTS Protocol Capabilities flags
export const PTS_CAP = { C: 0x10, V: 0x08, D: 0x04, T: 0x02, X: 0x01 } as const;

/** strongSwan's rendering of a capability set: one letter per flag in C V D T X order, '.' if clear. */
export function capabilityString(flags: number): string {
  return (Object.keys(PTS_CAP) as (keyof typeof PTS_CAP)[]).map((k) => (flags & PTS_CAP[k] ? k : '.')).join('');
}

// PTS 3.9.1: measurement algorithm bits (also the DH hash set and the evidence hash fields)
export const HASH_ALG = { SHA1: 0x8000, SHA256: 0x4000, SHA384: 0x2000, SHA512: 0x1000 } as const;

const hashAlgs: readonly { bit: number; name: string; size: number; node: string }[] = [
  { bit: HASH_ALG.SHA1, name: 'HASH_SHA1', size: 20, node: 'sha1' },
  { bit: HASH_ALG.SHA256, name: 'HASH_SHA2_256', size: 32, node: 'sha256' },
  { bit: HASH_ALG.SHA384, name: 'HASH_SHA2_384', size: 48, node: 'sha384' },
  { bit: HASH_ALG.SHA512, name: 'HASH_SHA2_512', size: 64, node: 'sha512' },
];
const KNOWN_HASH_BITS = hashAlgs.reduce((a, h) => a | h.bit, 0);

export interface HashAlgInfo {
  bit: number;
  /** strongSwan's name, e.g. HASH_SHA2_256. */
  name: string;
  /** Digest size in bytes. */
  size: number;
  /** node:crypto algorithm name. */
  node: string;
}

export function hashAlgInfo(bit: number): HashAlgInfo | undefined {
  return hashAlgs.find((h) => h.bit === bit);
}

export function hashAlgName(bit: number): string {
  return hashAlgInfo(bit)?.name ?? `HASH_UNKNOWN(0x${bit.toString(16)})`;
}

/** Names of every known algorithm in a set, strongest first; unknown bits are kept as hex. */
export function hashAlgSetNames(set: number): string[] {
  const names = hashAlgs.filter((h) => set & h.bit).map((h) => h.name);
  if (set & ~KNOWN_HASH_BITS & 0xffff) names.push(`0x${(set & ~KNOWN_HASH_BITS).toString(16)}`);
  return names.reverse();
}

// PTS 3.8.1: Diffie-Hellman group bits
export const DH_GROUP = {
  MODP_1024: 0x8000,
  MODP_1536: 0x4000,
  MODP_2048: 0x2000,
  ECP_256: 0x1000,
  ECP_384: 0x0800,
} as const;
export type DhGroupName = keyof typeof DH_GROUP;

export function dhGroupName(bit: number): string {
  const e = (Object.entries(DH_GROUP) as [DhGroupName, number][]).find(([, v]) => v === bit);
  return e ? e[0] : `DH_UNKNOWN(0x${bit.toString(16)})`;
}

export function dhGroupSetNames(set: number): string[] {
  return (Object.entries(DH_GROUP) as [DhGroupName, number][]).filter(([, v]) => set & v).map(([k]) => k);
}

/** Reads a u16 that must name exactly one known algorithm (a "selected" field). */
export function readSelectedHash(r: Reader, what: string): number {
  const at = r.offset;
  const v = r.u16(what);
  if (!hashAlgInfo(v))
    throw new DecodeError('invalid', what, at, `0x${v.toString(16)} is not a single known hash algorithm`);
  return v;
}

export function readSelectedDhGroup(r: Reader, what: string): number {
  const at = r.offset;
  const v = r.u16(what);
  if (!Object.values(DH_GROUP).includes(v as never))
    throw new DecodeError('invalid', what, at, `0x${v.toString(16)} is not a single known DH group`);
  return v;
}

// PTS 5.1: Component Functional Name (vendor, family, qualifier, name)
export const COMP_QUALIFIER = { KERNEL: 0x20, SUB_COMPONENT: 0x10, WILDCARD: 0x3f } as const;
export const ITA_COMP = { IGNORE: 0, TGRUB: 1, TBOOT: 2, IMA: 3 } as const;

export interface ComponentName {
  vendor: number;
  /** Name family: bits 7..6 of the qualifier byte; only 0 (binary enumeration) is defined. */
  family: number;
  /** 6-bit qualifier: 0x20 K, 0x10 S, low 4 bits the component type. */
  qualifier: number;
  name: number;
}

export const COMPONENT_NAME_LEN = 8;

export function readComponentName(r: Reader, what: string): ComponentName {
  const vendor = r.u24(`${what} vendor ID`);
  const at = r.offset;
  const q = r.u8(`${what} qualifier`);
  // PTS 5.1: family 00 = binary enumeration, the only one defined (else TCG error "invalid name family")
  if (q >> 6 !== 0) throw new DecodeError('invalid', `${what} name family`, at, `family ${q >> 6} not supported`);
  return { vendor, family: 0, qualifier: q & 0x3f, name: r.u32(`${what} name`) };
}

export function writeComponentName(w: Writer, c: ComponentName): void {
  w.u24(c.vendor)
    .u8(((c.family & 0x3) << 6) | (c.qualifier & 0x3f))
    .u32(c.name);
}

const tcgCompNames = [
  'Ignore',
  'CRTM',
  'BIOS',
  'Platform Extensions',
  'Motherboard firmware',
  'Initial Program Loader',
  'Option ROMs',
];
const itaCompNames = ['Ignore', 'Trusted GRUB Boot Loader', 'Trusted Boot', 'Linux IMA'];
/** The ITA-HSR functional component names (1, 2, 3), as strongSwan registers them. */
export const ITA_COMPONENT_NAMES: readonly string[] = itaCompNames.slice(1);
const compTypes = [
  'Unknown',
  'Trusted Platform',
  'Operating System',
  'Graphical User Interface',
  'Application',
  'Networking',
  'Library',
  'TNC Defined Component',
];

function compTypeName(q: number): string {
  const t = q & 0x0f;
  return t === 0x0f ? 'All Matching Components' : (compTypes[t] ?? 'Unknown Type');
}

/** `ITA-HSR functional component 'Linux IMA' [K.] 'Trusted Platform'`, as strongSwan logs it. */
export function describeComponentName(c: ComponentName): string {
  const table = c.vendor === VENDOR.ITA ? itaCompNames : c.vendor === VENDOR.TCG ? tcgCompNames : [];
  const name = table[c.name] ?? `${c.name}`;
  const flags = `${c.qualifier & COMP_QUALIFIER.KERNEL ? 'K' : '.'}${c.qualifier & COMP_QUALIFIER.SUB_COMPONENT ? 'S' : '.'}`;
  return `${vendorName(c.vendor)} functional component '${name}' [${flags}] '${compTypeName(c.qualifier)}'`;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** `b6:88:ae:…`, strongSwan's rendering of measurements. */
export function colonHex(b: Uint8Array): string {
  return hex(b).replace(/(..)(?!$)/g, '$1:');
}

/** PTS timestamps: 20 ASCII characters of RFC 3339 UTC time; `0000-00-00T00:00:00Z` = unknown. */
export const PTS_TIME_LEN = 20;

export function writeTime(w: Writer, t: string, what: string): void {
  if (t.length !== PTS_TIME_LEN) throw new RangeError(`${what} must be ${PTS_TIME_LEN} characters, got ${t.length}`);
  w.latin1(t);
}
