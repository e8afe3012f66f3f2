import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { PaPort } from '../../src/imcv/pa-port';
import { Logger, MemorySink } from '../../src/log';
import { InstalledPackagesAttr } from '../../src/protocol/pa-tnc/ietf/ports-packages';
import { decodePaMessage } from '../../src/protocol/pa-tnc/message';
import { SegmentEnvelopeAttr } from '../../src/protocol/pa-tnc/tcg/seg';
import { PA_SUBTYPE } from '../../src/protocol/vendors';
import type { PaEnvelope } from '../../src/tnccs/types';

/** An IMC port and an IMV port whose sends land in each other's queue. */
function pair(imcMax: number, imvMax: number) {
  const sink = new MemorySink();
  const log = new Logger(2, 'text', sink);
  const toImv: PaEnvelope[] = [];
  const toImc: PaEnvelope[] = [];
  const conn = (max: number) => ({ id: 1, maxPaMessageSize: max, transport: 'eap' as const, language: 'en', log });
  const imc = new PaPort(conn(imcMax), { send: (_id, e) => toImv.push(e) }, 2, 'IMC', ALL_CODECS.pa);
  const imv = new PaPort(conn(imvMax), { send: (_id, e) => toImc.push(e) }, 2, 'IMV', ALL_CODECS.pa);
  return { imc, imv, toImv, toImc, lines: sink.lines };
}

const packages = Array.from({ length: 200 }, (_, i) => ({ name: `package-${i}`, version: `1.${i}-1` }));

test('a contract from the IMC makes the IMV segment a large attribute; Next Segment brings the rest', () => {
  const p = pair(1000, 65490);
  p.imc.requestContract(PA_SUBTYPE.SWIMA);
  const req = p.toImv.shift()!;
  assert.equal(p.imv.receive(req)?.attributes.length, 0);
  assert.ok(
    p.lines.includes(
      "[IMV] IMV 2 received a segmentation contract request from IMC 2 for PA message type 'IETF/SWIMA' 0x000000/0x00000009",
    ),
  );
  assert.ok(p.lines.includes('[IMV]   no message size limit, maximum segment size of 976 bytes'));
  const resp = p.toImc.shift()!;
  assert.equal(p.imc.receive(resp)?.attributes.length, 0);

  p.imv.send(PA_SUBTYPE.SWIMA, [InstalledPackagesAttr.make(packages)]);
  let envelopes = 0;
  let whole;
  for (let i = 0; i < 100 && !whole; i++) {
    const env = p.toImc.shift()!;
    assert.ok(env.body.length <= 1000, `PA-TNC message of ${env.body.length} bytes exceeds the IMC's limit`);
    const m = decodePaMessage(env.body, ALL_CODECS.pa);
    assert.ok(m.attributes.every((a) => SegmentEnvelopeAttr.is(a)));
    envelopes++;
    const got = p.imc.receive(env)!;
    if (got.attributes.length > 0) whole = got.attributes[0];
    else p.imv.receive(p.toImv.shift()!); // the Next Segment
  }
  assert.ok(envelopes > 3);
  assert.ok(whole && InstalledPackagesAttr.is(whole));
  assert.deepEqual(whole.value, packages);
});

test('a segmented attribute longer than the reassembly cap is refused with a PA-TNC Error', () => {
  const p = pair(1000, 65490);
  p.imc.requestContract(PA_SUBTYPE.SWIMA);
  p.imv.receive(p.toImv.shift()!);
  p.imc.receive(p.toImc.shift()!);
  // a first envelope whose inner header claims 1 GiB
  const inner = Buffer.alloc(40);
  inner.writeUInt32BE(7, 4);
  inner.writeUInt32BE(0x40000000, 8);
  p.imv.send(PA_SUBTYPE.SWIMA, [SegmentEnvelopeAttr.make({ start: true, more: true, baseMessageId: 9, data: inner })]);
  const got = p.imc.receive(p.toImc.shift()!);
  assert.equal(got?.attributes.length, 0);
  const reply = decodePaMessage(p.toImv.shift()!.body, ALL_CODECS.pa).attributes[0];
  assert.equal(reply.type, 8); // IETF/PA-TNC Error
});
