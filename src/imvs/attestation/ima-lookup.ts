import { HASH_ALG, type HashAlgInfo } from '../../protocol/pa-tnc/tcg/pts';
import type { Symlink } from '../../protocol/pa-tnc/ita';
import { IMA_NAME_PADDED } from '../../measurements/ima';
import type { AttestationView } from '../../policy/attestation';
import { bankTemplateHash, type BoundImaClaim } from './ima-binding';

export type FileVerdict = 'ok' | 'unknown' | 'differ' | 'failed';

/** A policy URI split as strongSwan's IMC writes it (PTS 3.15.1 policy URI; strongSwan's ita_comp_ima.c): `sha256:/usr/bin/ls`, bare name = legacy `ima`. */
export interface ImaUri {
  /** Kernel hash name of the file digest, e.g. "sha256"; undefined for the legacy `ima` template (SHA-1). */
  algorithm?: string;
  path: string;
}

export function parseImaUri(uri: string): ImaUri {
  const m = /^([a-z0-9-]*):(.*)$/s.exec(uri);
  if (!m) return { path: uri };
  // strongSwan's pts_ima_event_list.c: a bare ':' prefix means SHA-1
  return { algorithm: m[1] === '' ? 'sha1' : m[1], path: m[2] };
}

const PTS_BIT_OF: Record<string, number> = {
  sha1: HASH_ALG.SHA1,
  sha256: HASH_ALG.SHA256,
  sha384: HASH_ALG.SHA384,
  sha512: HASH_ALG.SHA512,
};

/** The PTS algorithm bit reference hashes are stored under for a file digest algorithm. */
export const ptsBitOf = (algorithm: string): number | undefined => PTS_BIT_OF[algorithm];

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * The IMA template data a file digest and name produce (Linux IMA-templates.rst):
 * ima-ng = len ‖ "<algo>:\0" digest ‖ len ‖ name\0; legacy ima = digest ‖ name padded to 256.
 */
export function imaTemplateData(uri: ImaUri, digest: Buffer): Buffer {
  const name = Buffer.from(uri.path, 'utf8');
  if (uri.algorithm === undefined) {
    const padded = Buffer.alloc(IMA_NAME_PADDED);
    name.copy(padded, 0, 0, Math.min(name.length, IMA_NAME_PADDED - 1));
    return Buffer.concat([digest, padded]);
  }
  const d = Buffer.concat([Buffer.from(`${uri.algorithm}:\0`, 'latin1'), digest]);
  return Buffer.concat([le32(d.length), d, le32(name.length + 1), name, Buffer.from([0])]);
}

/** ima-sig with an empty sig field (an unsigned file, and the boot_aggregate on an ima-sig kernel): ima-ng data ‖ u32 0. */
const EMPTY_FIELD = le32(0);

/**
 * Whether a file digest and name, with no template data sent, reproduce the extended measurement:
 * as ima-ng (or legacy ima), or as ima-sig without a signature. A signed file on an ima-sig kernel
 * cannot be recomputed without its template data (the signature is in it).
 */
export function matchesUnbound(
  bank: HashAlgInfo,
  transform: number,
  uri: ImaUri,
  digest: Buffer,
  measurement: Buffer,
): boolean {
  const data = imaTemplateData(uri, digest);
  if (bankTemplateHash(bank, transform, data).equals(measurement)) return true;
  return (
    uri.algorithm !== undefined &&
    bankTemplateHash(bank, transform, Buffer.concat([data, EMPTY_FIELD])).equals(measurement)
  );
}

/**
 * Looks IMA file measurements up in the reference hashes of the session's product, applying the
 * endpoint's UsrMerge directory symlinks (ITA-HSR Symlinks, src/protocol/pa-tnc/ita/lists.ts).
 */
export class ImaLookup {
  constructor(
    private readonly store: AttestationView,
    private readonly productId: number | undefined,
    private readonly bank: HashAlgInfo,
    private readonly symlinks: readonly Symlink[],
  ) {}

  /** ok, unknown (no reference), differ (references exist, none matches) for a bound name and digest. */
  checkBound(claim: BoundImaClaim): Exclude<FileVerdict, 'failed'> {
    const algo = ptsBitOf(claim.algorithm);
    if (this.productId === undefined || algo === undefined) return 'unknown';
    let verdict: Exclude<FileVerdict, 'failed'> = 'unknown';
    for (const path of [claim.path, ...this.alternatives(claim.path)]) {
      const refs = this.store.referenceHashes(this.productId, path, algo);
      if (refs.some((h) => h.equals(claim.digest))) return 'ok';
      if (refs.length > 0) verdict = 'differ';
    }
    return verdict;
  }

  /**
   * The same for a measurement known only by its policy URI: a reference that recomputes to the
   * extended template hash is ok; no reference means unknown, and nothing binds the name then.
   */
  check(uri: ImaUri, transform: number, measurement: Buffer): Exclude<FileVerdict, 'failed'> {
    const first = this.checkPath(uri, uri.path, transform, measurement);
    if (first === 'ok') return first;
    for (const alt of this.alternatives(uri.path)) {
      const v = this.checkPath(uri, alt, transform, measurement);
      if (v !== 'unknown') return v;
    }
    return first;
  }

  private checkPath(uri: ImaUri, path: string, transform: number, measurement: Buffer): Exclude<FileVerdict, 'failed'> {
    const algo = ptsBitOf(uri.algorithm ?? 'sha1');
    if (this.productId === undefined || algo === undefined) return 'unknown';
    const refs = this.store.referenceHashes(this.productId, path, algo);
    if (refs.length === 0) return 'unknown';
    // the measured name is what the kernel hashed, whichever reference path matched
    return refs.some((h) => matchesUnbound(this.bank, transform, uri, h, measurement)) ? 'ok' : 'differ';
  }

  private alternatives(path: string): string[] {
    return alternativePaths(path, this.symlinks);
  }
}

/** `/bin/ls` ↔ `/usr/bin/ls` for a symlink /bin → /usr/bin. */
export function alternativePaths(path: string, symlinks: readonly Symlink[]): string[] {
  const out: string[] = [];
  for (const { symlink, target } of symlinks) {
    if (path.startsWith(`${target}/`)) out.push(symlink + path.slice(target.length));
    else if (path.startsWith(`${symlink}/`)) out.push(target + path.slice(symlink.length));
  }
  return out;
}

/** Every name the lookups of these IMA files may ask for: the paths and their UsrMerge alternatives. */
export function lookupPaths(paths: Iterable<string>, symlinks: readonly Symlink[]): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    out.add(p);
    for (const alt of alternativePaths(p, symlinks)) out.add(alt);
  }
  return out;
}
