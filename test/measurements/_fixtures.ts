import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePcrRead, type QuotedPcrs } from '../../src/measurements/pcrs';
import { DecodeError } from '../../src/bytes/errors';

export const FIXTURES = join(__dirname, '..', 'data', 'fixtures');
export const LAB = join(__dirname, '..', 'data', 'vectors', 'evidence');

export function fixture(...parts: string[]): Buffer {
  return readFileSync(join(FIXTURES, ...parts));
}

/** PCRs read in the guest (tpm2_pcrread): TPM values, trusted as quoted ones for these tests. */
export function vmPcrs(vm: string, file = 'pcrs.txt'): QuotedPcrs {
  return parsePcrRead(fixture('vm', vm, file).toString('utf8'));
}

/** The `pcrs:` section at the end of a tpm2_eventlog YAML: what tpm2_eventlog's own replay computed. */
export function yamlPcrs(file: string): QuotedPcrs {
  const text = fixture('eventlogs', file).toString('utf8');
  const at = text.search(/^pcrs:\s*$/m);
  return at < 0 ? {} : parsePcrRead(text.slice(at + 5));
}

/** The DecodeError `fn` throws (fails the test when it throws nothing or something else). */
export function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected a DecodeError, got ${String(e)}`);
    return e;
  }
  assert.fail('no error');
}
