import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImaBinary, readImaBinaryPrefixSync } from '../../src/measurements/ima';
import { isDecodeError } from '../../src/bytes/errors';
import { fixture } from './_fixtures';

// The Attestation IMC reads the list a second time, as its evidence is sent, up to where the
// first pass found its last complete entry: the same entries, in small chunks, and an error
// (never a silent short list) when the file no longer holds them.
const list = fixture('vm', 'seabios', 'binary_runtime_measurements');
const all = decodeImaBinary(list);

function withFile<T>(bytes: Buffer, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-ima-prefix-'));
  try {
    writeFileSync(join(dir, 'list'), bytes);
    return fn(join(dir, 'list'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the first END bytes give the same entries as decoding the whole list, whatever the chunk size', () => {
  const end = all[100].offset;
  withFile(Buffer.concat([list, Buffer.from('appended later')]), (path) => {
    for (const chunk of [7, 4096, 1 << 16]) {
      const got = [...readImaBinaryPrefixSync(path, end, 20, chunk)];
      assert.equal(got.length, 100);
      assert.deepEqual(
        got.map((e) => [e.offset, e.templateHash.toString('hex'), e.templateData.toString('hex')]),
        all.slice(0, 100).map((e) => [e.offset, e.templateHash.toString('hex'), e.templateData.toString('hex')]),
      );
    }
  });
});

test('a file shorter than END, or END inside an entry, is a DecodeError', () => {
  withFile(list.subarray(0, all[10].offset), (path) => {
    assert.throws(() => [...readImaBinaryPrefixSync(path, all[20].offset)], isDecodeError);
  });
  withFile(list, (path) => {
    assert.throws(() => [...readImaBinaryPrefixSync(path, all[20].offset + 3)], isDecodeError);
  });
});
