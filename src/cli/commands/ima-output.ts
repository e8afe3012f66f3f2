import { once } from 'node:events';
import { decodeImaFields, escapeText, type ImaEntry } from '../../measurements/ima';

/**
 * Buffered stdout for one line per entry at millions of entries: writes in blocks and waits for
 * the pipe to drain between chunks of input, so memory stays flat whatever reads the output.
 */
export class BlockWriter {
  private parts: string[] = [];
  private size = 0;
  /** True once anything reached stdout. */
  written = false;

  /** Drops what is buffered (nothing of it was written). */
  discard(): void {
    this.parts = [];
    this.size = 0;
  }

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
  }

  /** Writes what is buffered once it is large (or always with `force`), waiting for a full pipe to drain. */
  async flush(force = false): Promise<void> {
    if (this.size === 0 || (!force && this.size < 1 << 13)) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.written = true;
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }
}

export interface EntryRow {
  offset: number;
  pcr: number;
  template: string;
  templateHash: string;
  fileDigest: string;
  path: string;
  signature?: string;
  buffer?: string;
}

/** One entry's printable fields (throws DecodeError on malformed template data). */
export function entryRow(e: ImaEntry): EntryRow {
  const f = decodeImaFields(e);
  return {
    offset: e.offset,
    pcr: e.pcr,
    template: e.template,
    templateHash: e.templateHash.toString('hex'),
    fileDigest: `${f.fileDigest.algorithm}:${f.fileDigest.digest.toString('hex')}`,
    path: f.path,
    ...(f.signature?.length ? { signature: f.signature.toString('hex') } : {}),
    ...(f.buffer ? { buffer: f.buffer.toString('hex') } : {}),
  };
}

/** The ascii list's line for a row; names are untrusted, so control bytes are escaped. */
export const textRow = (r: EntryRow): string =>
  `${r.pcr} ${r.templateHash} ${escapeText(r.template)} ${r.fileDigest} ${escapeText(r.path)}\n`;
