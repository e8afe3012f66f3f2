import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEventLog, replayEventLog } from '../src/measurements/eventlog';
import {
  decodeImaBinary,
  encodeImaEntry,
  iterateImaBinary,
  replayImaList,
  type ImaEntry,
} from '../src/measurements/ima';
import { sha1Into } from '../src/measurements/sha1';
import { sha256Into } from '../src/measurements/sha256';
import { line, loadNote, rate } from './_util';

const fixtures = join(__dirname, '..', 'test', 'data', 'fixtures', 'vm', 'seabios');
const ENTRIES = 100_000;

/** A 100,000-entry list made of the real guest's entries, repeated (all template hashes valid). */
function bigList(): Buffer {
  const real = decodeImaBinary(readFileSync(join(fixtures, 'binary_runtime_measurements'))).map((e) =>
    encodeImaEntry(e),
  );
  const parts: Buffer[] = [];
  for (let i = 0; i < ENTRIES; i++) parts.push(real[i % real.length]);
  return Buffer.concat(parts);
}

/** Why sha1.ts/sha256.ts exist: one entry's template data (~90 bytes) hashed here and by node:crypto. */
function hashes(list: Buffer): void {
  const entries = iterateImaBinary(list);
  entries.next(); // boot_aggregate
  const e = entries.next().value as ImaEntry;
  const out = Buffer.alloc(32);
  const at = e.dataOffset,
    len = e.templateData.length;
  const calls = 10_000;
  const each = (fn: () => void) => () => {
    for (let i = 0; i < calls; i++) fn();
  };
  line(
    'measurements',
    `SHA-1 of ${len} bytes, TypeScript`,
    rate(each(() => sha1Into(list, at, len, out, 0))) * calls,
    'hashes/s',
  );
  line(
    'measurements',
    `SHA-1 of ${len} bytes, node:crypto`,
    rate(each(() => hash('sha1', list.subarray(at, at + len), 'buffer'))) * calls,
    'hashes/s',
  );
  line(
    'measurements',
    `SHA-256 of ${len} bytes, TypeScript`,
    rate(each(() => sha256Into(list, at, len, out, 0))) * calls,
    'hashes/s',
  );
  line(
    'measurements',
    `SHA-256 of ${len} bytes, node:crypto`,
    rate(each(() => hash('sha256', list.subarray(at, at + len), 'buffer'))) * calls,
    'hashes/s',
  );
}

export function run(): void {
  const list = bigList();
  const check = replayImaList(list, { banks: ['sha1'] });
  if (check.entries !== ENTRIES || check.templateHashMismatches !== 0)
    throw new Error('bench list is not what it should be');
  const full = rate(() => replayImaList(list, { banks: ['sha1'] }), 2);
  line('measurements', 'IMA parse + template hash + PCR 10 replay (sha1)', full * ENTRIES, 'entries/s');
  const replayOnly = rate(() => replayImaList(list, { banks: ['sha1'], checkTemplateHash: false }), 2);
  // the issue 21 target: at least 1,000,000 entries/s on one idle core
  line('measurements', 'IMA parse + PCR 10 replay (sha1)', replayOnly * ENTRIES, 'entries/s', loadNote());
  const sha256 = rate(() => replayImaList(list, { banks: ['sha256'], checkTemplateHash: false }), 2);
  line('measurements', 'IMA parse + PCR 10 replay (sha256)', sha256 * ENTRIES, 'entries/s');
  const sha256Full = rate(() => replayImaList(list, { banks: ['sha256'] }), 2);
  line('measurements', 'IMA parse + template hash + PCR 10 replay (sha256)', sha256Full * ENTRIES, 'entries/s');
  hashes(list);

  const log = readFileSync(join(fixtures, '..', 'ovmf', 'binary_bios_measurements'));
  const events = decodeEventLog(log).events.length;
  const logRate = rate(() => replayEventLog(decodeEventLog(log)), 1);
  line('measurements', `event log parse + replay (OVMF, ${events} events, 2 banks)`, logRate * events, 'events/s');
}
