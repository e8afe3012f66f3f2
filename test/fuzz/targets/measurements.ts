import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEventLog, replayEventLog } from '../../../src/measurements/eventlog';
import {
  decodeImaAscii,
  decodeImaBinary,
  decodeImaFields,
  decodeImaSignature,
  replayImaList,
} from '../../../src/measurements/ima';
import type { FuzzTarget } from '../harness';

const data = join(__dirname, '..', '..', 'data');
const read = (...p: string[]): Buffer => readFileSync(join(data, ...p));
const vm = (name: string, file: string): Buffer => read('fixtures', 'vm', name, file);

/** Small real entries keep mutated inputs short enough for many rounds. */
function head(list: Buffer, entries: number, hashSize = 20): Buffer {
  const all = decodeImaBinary(list, 0, hashSize);
  const end = all[entries]?.offset ?? list.length;
  return list.subarray(0, end);
}

export const targets: FuzzTarget[] = [
  {
    name: 'tcg event log',
    decode: (b) => replayEventLog(decodeEventLog(b)),
    seeds: [
      vm('seabios', 'binary_bios_measurements'),
      read('vectors', 'evidence', 'binary_bios_measurements'),
      read('fixtures', 'eventlogs', 'tpm2-tools-event-uefivar.bin'),
      read('fixtures', 'eventlogs', 'go-attestation-short_no_action_eventlog'),
    ],
  },
  {
    name: 'ima binary list',
    decode: (b) => {
      replayImaList(b, { banks: ['sha1', 'sha256'] });
      return decodeImaBinary(b).map(decodeImaFields);
    },
    seeds: [
      head(vm('seabios', 'binary_runtime_measurements'), 3),
      read('fixtures', 'ima', 'tpm2-tss-sml-ima-sha1-invalidated.bin'),
      read('fixtures', 'ima', 'tpm2-tss-sml-ima-sig-sha256-invalidated.bin'),
    ],
  },
  {
    name: 'ima ascii list',
    decode: (b) => decodeImaAscii(b).map(decodeImaFields),
    seeds: [
      read('vectors', 'evidence', 'ascii_runtime_measurements'),
      read('fixtures', 'ima', 'keylime-ima-log-sha256'),
    ],
  },
  {
    name: 'ima per-bank binary list (sha384)',
    decode: (b) => {
      replayImaList(b, { listBank: 'sha384', banks: ['sha384', 'sha1'] });
      return decodeImaBinary(b, 0, 48).map(decodeImaFields);
    },
    seeds: [head(read('fixtures', 'ima', 'per-bank', 'binary_runtime_measurements_sha384'), 3, 48)],
  },
  {
    name: 'ima per-bank ascii list',
    decode: (b) => decodeImaAscii(b).map(decodeImaFields),
    seeds: [read('fixtures', 'ima', 'per-bank', 'ascii_runtime_measurements_sha256').subarray(0, 600)],
  },
  {
    name: 'ima signature (signature_v2_hdr)',
    decode: (b) => decodeImaSignature(b),
    seeds: [read('fixtures', 'ima', 'sig', 'signed.txt.sig')],
  },
];
