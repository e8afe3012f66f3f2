import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeEventLog, pcr0Locality, replayEventLog } from '../../src/measurements/eventlog';

// A small crypto-agile log built here (PC Client PFP 10.2): the Spec ID header, an
// EV_EFI_HCRTM_EVENT and two more PCR 0 events, an event on PCR 7; optionally a StartupLocality.
const ALGS = [
  [0x0004, 20, 'sha1'],
  [0x000b, 32, 'sha256'],
  [0x000c, 48, 'sha384'],
] as const;
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

function specIdHeader(): Buffer {
  const data = Buffer.concat([
    Buffer.from('Spec ID Event03\0', 'latin1'),
    u32(0),
    Buffer.from([0, 2, 0, 2]),
    u32(ALGS.length),
    ...ALGS.flatMap(([id, size]) => [u16(id), u16(size)]),
    Buffer.from([0]),
  ]);
  return Buffer.concat([u32(0), u32(3), Buffer.alloc(20), u32(data.length), data]);
}

function event2(pcr: number, type: number, data: Buffer): Buffer {
  const digests = ALGS.map(([id, , name]) => Buffer.concat([u16(id), createHash(name).update(data).digest()]));
  return Buffer.concat([u32(pcr), u32(type), u32(ALGS.length), ...digests, u32(data.length), data]);
}

const noDigests = (pcr: number, type: number, data: Buffer) =>
  Buffer.concat([
    u32(pcr),
    u32(type),
    u32(ALGS.length),
    ...ALGS.map(([id, size]) => Buffer.concat([u16(id), Buffer.alloc(size)])),
    u32(data.length),
    data,
  ]);

const HCRTM = Buffer.from('HCRTM', 'latin1');
const VERSION = Buffer.from('1.0\0', 'latin1');
const SEPARATOR = Buffer.alloc(4);

function log(startupLocality?: number): Buffer {
  return Buffer.concat([
    specIdHeader(),
    ...(startupLocality === undefined
      ? []
      : [noDigests(0, 3, Buffer.concat([Buffer.from('StartupLocality\0', 'latin1'), Buffer.from([startupLocality])]))]),
    event2(0, 0x80000010, HCRTM),
    event2(0, 0x00000008, VERSION),
    event2(0, 0x00000004, SEPARATOR),
    event2(7, 0x00000004, SEPARATOR),
  ]);
}

/** The independent computation: PCR 0 = H(H(H(start || H(d1)) || H(d2)) || H(d3)), start = 00..0L. */
function expectedPcr0(bank: string, size: number, locality: number): string {
  let pcr = Buffer.alloc(size);
  pcr[size - 1] = locality;
  for (const d of [HCRTM, VERSION, SEPARATOR])
    pcr = createHash(bank).update(pcr).update(createHash(bank).update(d).digest()).digest();
  return pcr.toString('hex');
}

test('H-CRTM: a log with EV_EFI_HCRTM_EVENT and no StartupLocality starts PCR 0 at 00..04 in every bank', () => {
  const parsed = decodeEventLog(log());
  assert.equal(parsed.startupLocality, undefined);
  assert.equal(pcr0Locality(parsed), 4);
  const { pcrs, problems } = replayEventLog(parsed);
  assert.deepEqual(problems, []);
  for (const [, size, name] of ALGS) {
    assert.equal(pcrs[name][0], expectedPcr0(name, size, 4), name);
    assert.notEqual(pcrs[name][0], expectedPcr0(name, size, 0));
    // other PCRs start at zero
    assert.equal(
      pcrs[name][7],
      createHash(name).update(Buffer.alloc(size)).update(createHash(name).update(SEPARATOR).digest()).digest('hex'),
    );
  }
});

test('H-CRTM: a StartupLocality event, when present, gives the start value; without either PCR 0 starts at zero', () => {
  const withLocality = decodeEventLog(log(3));
  assert.equal(pcr0Locality(withLocality), 3);
  assert.equal(replayEventLog(withLocality).pcrs.sha256[0], expectedPcr0('sha256', 32, 3));
  const plain = decodeEventLog(Buffer.concat([specIdHeader(), event2(0, 0x00000008, VERSION)]));
  assert.equal(pcr0Locality(plain), 0);
});
