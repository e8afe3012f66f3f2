import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEventLog, replayEventLog } from '../src/measurements/eventlog';
import { decodeImaBinary, encodeImaEntry, replayImaList } from '../src/measurements/ima';
import { line, rate } from './_util';

const fixtures = join(__dirname, '..', 'test', 'data', 'fixtures', 'vm', 'seabios');
const ENTRIES = 100_000;

/** A 100,000-entry list made of the real guest's entries, repeated (all template hashes valid). */
function bigList(): Buffer {
  const real = decodeImaBinary(readFileSync(join(fixtures, 'binary_runtime_measurements'))).map((e) => encodeImaEntry(e));
  const parts: Buffer[] = [];
  for (let i = 0; i < ENTRIES; i++) parts.push(real[i % real.length]);
  return Buffer.concat(parts);
}

export function run(): void {
  const list = bigList();
  const check = replayImaList(list, { banks: ['sha1'] });
  if (check.entries !== ENTRIES || check.templateHashMismatches !== 0) throw new Error('bench list is not what it should be');
  const full = rate(() => replayImaList(list, { banks: ['sha1'] }), 2);
  line('measurements', 'IMA parse + template hash + PCR 10 replay (sha1)', full * ENTRIES, 'entries/s');
  const replayOnly = rate(() => replayImaList(list, { banks: ['sha1'], checkTemplateHash: false }), 2);
  line('measurements', 'IMA parse + PCR 10 replay (sha1)', replayOnly * ENTRIES, 'entries/s');
  const sha256 = rate(() => replayImaList(list, { banks: ['sha256'], checkTemplateHash: false }), 2);
  line('measurements', 'IMA parse + PCR 10 replay (sha256)', sha256 * ENTRIES, 'entries/s');

  const log = readFileSync(join(fixtures, '..', 'ovmf', 'binary_bios_measurements'));
  const events = decodeEventLog(log).events.length;
  const logRate = rate(() => replayEventLog(decodeEventLog(log)), 1);
  line('measurements', `event log parse + replay (OVMF, ${events} events, 2 banks)`, logRate * events, 'events/s');
}
