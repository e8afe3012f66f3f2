import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { Logger, MemorySink } from '../../src/log';
import { decodePaMessage } from '../../src/protocol/pa-tnc/message';
import type { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { decodeBatch, PbPaMsg } from '../../src/protocol/pb-tnc';
import {
  DhNonceFinishAttr,
  DhNonceParamsRequestAttr,
  GetAikAttr,
  MeasAlgoRequestAttr,
  RequestComponentEvidenceAttr,
  RequestProtoCapsAttr,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { GetSymlinksAttr } from '../../src/protocol/pa-tnc/ita';
import { AssessmentResultAttr } from '../../src/protocol/pa-tnc/ietf/assessment';
import { AttestationImv } from '../../src/imvs/attestation';
import { PolicyStore } from '../../src/policy/store';
import { WorkitemType } from '../../src/policy/workitem-types';
import { SessionManager } from '../../src/imvs/sessions';
import { envelopeFromPbPa } from '../../src/tnccs/pb-pa';
import { ConnectionInfo, Evaluation, PaEnvelope, Recommendation } from '../../src/tnccs/types';
import { VECTORS } from '../protocol/pts-swima-util';

// The IMV driven through IF-IMV with strongSwan's IMC messages from the golden vectors. The IMV
// picks its own DH nonce, so strongSwan's recorded quote (made for another session) must fail.
const DEVICE = 'af61115643f343bb6d36373db32c73a70ddb277b';

function clientPts(file: string): PaEnvelope {
  const batch = decodeBatch(readFileSync(join(VECTORS, file)), ALL_CODECS.pb);
  const env = batch.messages
    .filter((m) => PbPaMsg.is(m))
    .map((m) => envelopeFromPbPa(m.value as never))
    .find((e) => e.type.vendor === 0x005597);
  if (!env) throw new Error(`${file} has no PTS message`);
  return env;
}

async function harness(trusted: boolean) {
  const store = await PolicyStore.open(':memory:');
  await store.addEnforcement(WorkitemType.TPMRA, 'BI');
  if (trusted) await store.setTrusted(DEVICE, true);
  const sessions = new SessionManager(store);
  const sink = new MemorySink();
  const log = new Logger(2, 'text', sink);
  const sent: PaAttribute[][] = [];
  const verdicts: { rec: Recommendation; evaluation: Evaluation; reason?: string }[] = [];
  const imv = new AttestationImv(sessions);
  imv.initialize(3, {
    send: (_c, msg) => sent.push(decodePaMessage(msg.body, ALL_CODECS.pa).attributes),
    provideRecommendation: (_c, _i, rec, evaluation, reason) => verdicts.push({ rec, evaluation, reason }),
  });
  const conn: ConnectionInfo = { id: 1, maxPaMessageSize: 65490, transport: 'pt-tls', language: 'en', log };
  imv.notifyConnectionChange(conn, 'Create');
  const s = sessions.get(1);
  s.deviceId = DEVICE;
  s.product = 'Debian 12 x86_64';
  await sessions.start(1, undefined, log);
  const step = async (file?: string) => {
    if (file) await imv.receiveMessage(1, clientPts(file));
    await imv.batchEnding(1);
    return sent.at(-1) ?? [];
  };
  return { imv, step, sent, verdicts, lines: sink.lines, close: () => store.close() };
}

test('the seed sequence: negotiation, DH nonce, TPM version + AIK, evidence request; a replayed quote fails', async () => {
  const h = await harness(true);
  const first = await h.step();
  assert.deepEqual(
    first.map((a) => a.type),
    [0x21, RequestProtoCapsAttr.spec.type, MeasAlgoRequestAttr.spec.type],
    'contract request, capabilities, algorithms',
  );
  assert.ok(first[1].noskip && first[2].noskip);
  assert.ok(
    h.lines.includes("[IMV] IMV 3 requests a segmentation contract for PA message type 'TCG/PTS' 0x005597/0x00000001"),
  );
  const dhRequest = await h.step('03-client_to_server-CDATA.bin');
  assert.ok(DhNonceParamsRequestAttr.is(dhRequest[0]));
  assert.ok(h.lines.includes('[PTS] supported PTS protocol capabilities: .VDT.'));
  assert.ok(h.lines.some((l) => /^\[IMV\] IMV 3 handles TPMRA workitem \d+$/.test(l)));
  const finish = await h.step('05-client_to_server-CDATA.bin');
  const dh = finish.find((a) => DhNonceFinishAttr.is(a))!.value as {
    initiatorPublicValue: Buffer;
    initiatorNonce: Buffer;
  };
  assert.equal(dh.initiatorPublicValue.length, 64, 'ECP_256 X‖Y');
  assert.equal(dh.initiatorNonce.length, 20, 'as long as the responder nonce');
  assert.ok(finish.some((a) => GetAikAttr.is(a)));
  for (const line of [
    '[PTS] selected DH hash algorithm is HASH_SHA2_256',
    '[PTS] selected PTS DH group is ECP_256',
    '[PTS] nonce length is 20',
  ])
    assert.ok(h.lines.includes(line), line);
  const request = await h.step('07-client_to_server-CDATA.bin');
  assert.ok(
    h.lines.includes('[IMV] verifying AIK with keyid af:61:11:56:43:f3:43:bb:6d:36:37:3d:b3:2c:73:a7:0d:db:27:7b'),
  );
  assert.ok(h.lines.includes('[IMV] AIK public key is trusted'));
  assert.equal(request.find((a) => GetSymlinksAttr.is(a))?.value, '/');
  assert.equal(
    (request.find((a) => RequestComponentEvidenceAttr.is(a))!.value as { components: unknown[] }).components.length,
    2,
  );
  const result = await h.step('09-client_to_server-CDATA.bin');
  assert.ok(AssessmentResultAttr.is(result[0]));
  assert.equal(h.verdicts.length, 1);
  assert.equal(h.verdicts[0].rec, Recommendation.NO_ACCESS);
  assert.equal(h.verdicts[0].evaluation, Evaluation.NONCOMPLIANT_MINOR);
  assert.match(h.verdicts[0].reason!, /^TPM quote signature verification failed/);
  assert.ok(h.lines.includes('[IMV] TPM Quote Info signature verification failed'));
  assert.ok(
    h.lines.includes('[PTS] boot aggregate computed over PCR0..PCR9 is correct'),
    'evidence itself was consistent',
  );
  await h.close();
});

test('an AIK whose device is not marked trusted ends the workitem with that reason', async () => {
  const h = await harness(false);
  for (const f of [
    undefined,
    '03-client_to_server-CDATA.bin',
    '05-client_to_server-CDATA.bin',
    '07-client_to_server-CDATA.bin',
  ])
    await h.step(f);
  assert.equal(
    h.lines.filter((l) => l.startsWith('[IMV] AIK public key is not trusted')).length,
    1,
    'said once, with the reason',
  );
  assert.equal(h.verdicts[0]?.rec, Recommendation.NO_ACCESS);
  assert.equal(h.verdicts[0].reason, `AIK public key is not trusted: device ${DEVICE} is not marked trusted`);
  await h.close();
});

test('a client that stops answering fails the workitem (its rec_fail, never allow), saying where attestation stopped', async () => {
  const h = await harness(true);
  await h.step();
  await h.step('03-client_to_server-CDATA.bin');
  h.imv.solicitRecommendation(1);
  assert.equal(h.verdicts.length, 1);
  assert.deepEqual(
    [h.verdicts[0].rec, h.verdicts[0].evaluation],
    [Recommendation.NO_ACCESS, Evaluation.NONCOMPLIANT_MINOR],
  );
  assert.equal(h.verdicts[0].reason, 'attestation incomplete: the client stopped before the dh step ended');
  await h.close();
});
