import { open } from 'node:fs/promises';
import { entryOf, frameEntry, newFrame, truncatedEntry, type ImaEntry } from './binary';

/**
 * Streams the entries of a binary list from a file (securityfs or a copy) without holding the
 * whole list: reads `chunkSize` bytes at a time and keeps only the unfinished tail. The list may
 * grow while it is read (IMA keeps measuring); entries after the read are simply not seen.
 */
export async function* streamImaFile(path: string, chunkSize = 1 << 16): AsyncGenerator<ImaEntry> {
  const fh = await open(path, 'r');
  try {
    const frame = newFrame();
    let pending = Buffer.alloc(0);
    let base = 0; // absolute offset of pending[0]
    while (true) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await fh.read(chunk, 0, chunkSize, null);
      if (bytesRead === 0) break;
      pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let at = 0;
      while (at < pending.length && frameEntry(pending, at, base, frame)) {
        yield entryOf(pending, base, at, frame);
        at = frame.end;
      }
      pending = pending.subarray(at);
      base += at;
    }
    if (pending.length > 0) throw truncatedEntry(base, pending.length);
  } finally {
    await fh.close();
  }
}
