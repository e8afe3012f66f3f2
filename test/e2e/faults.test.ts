import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { connectPtTls } from '../../src/transport/pt-tls';
import { decodeBatch, encodeBatch, PB_BATCH, PbBatchType } from '../../src/protocol/pb-tnc/batch';
import { PbErrorMsg } from '../../src/protocol/pb-tnc/ietf/error';
import { PbLanguagePreferenceMsg } from '../../src/protocol/pb-tnc/ietf/misc';
import { PB_ERROR } from '../../src/protocol/pb-tnc/errors';
import type { PbMessage } from '../../src/protocol/pb-tnc/registry';
import { WorkitemType } from '../../src/policy/workitem-types';
import { labPki } from '../helpers/pki';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { ProductInformationAttr } from '../../src/protocol/pa-tnc/ietf/product-information';
import { StringVersionAttr } from '../../src/protocol/pa-tnc/ietf/versions';
import { DeviceIdAttr } from '../../src/protocol/pa-tnc/ita';
import { PA_SUBTYPE } from '../../src/protocol/vendors';
import { pbPaFromEnvelope } from '../../src/tnccs/pb-pa';
import { loopbackServer } from '../helpers/server-process';

// PB-TNC faults against the lab server over real PT-TLS: each must end that one session with the
// protocol's answer (PB-Error in a CLOSE batch) or a timeout, while the server keeps serving.
const dir = mkdtempSync(join(tmpdir(), 'tnc-faults-'));
const serverLog = new MemorySink();
let server: LabServer;

before(async () => {
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'p.db'), pki),
    policy: 'default',
    log: new Logger(1, 'text', serverLog),
    idleTimeoutMs: 400,
  });
  await server.store.addEnforcement(WorkitemType.PCKGS, '');
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function client() {
  const pki = await labPki();
  return connectPtTls({
    host: '127.0.0.1',
    port: server.port,
    cert: pki.pem.clientCert,
    key: pki.pem.clientKey,
    ca: pki.pem.ca,
  });
}

const batch = (type: PbBatchType, messages: PbMessage[] = [PbLanguagePreferenceMsg.make('en')]) =>
  encodeBatch({ type, fromServer: false, messages });

async function expectPbError(reply: Promise<Buffer>, code: number): Promise<void> {
  const b = decodeBatch(await reply, ALL_CODECS.pb);
  assert.equal(b.type, PB_BATCH.CLOSE);
  const err = b.messages.find((m) => PbErrorMsg.is(m));
  assert.ok(err && PbErrorMsg.is(err), 'CLOSE without PB-Error');
  assert.equal(err.value.code, code);
  assert.equal(err.value.fatal, true);
}

test('a server-only batch type from the client gets PB-Error Unexpected Batch Type', async () => {
  const t = await client();
  await t.send(encodeBatch({ type: PB_BATCH.SDATA, fromServer: false, messages: [] }));
  await expectPbError(t.receive(), PB_ERROR.UNEXPECTED_BATCH_TYPE);
  await t.close();
});

test('a CRETRY before any CDATA (wrong state) gets PB-Error Unexpected Batch Type', async () => {
  const t = await client();
  await t.send(batch(PB_BATCH.CRETRY, []));
  await expectPbError(t.receive(), PB_ERROR.UNEXPECTED_BATCH_TYPE);
  await t.close();
});

test('a malformed PB-TNC batch gets PB-Error Invalid Parameter', async () => {
  const t = await client();
  const bad = batch(PB_BATCH.CDATA);
  bad.writeUInt32BE(bad.length + 5, 4); // batch length disagrees with the bytes sent
  await t.send(bad);
  await expectPbError(t.receive(), PB_ERROR.INVALID_PARAMETER);
  await t.close();
});

/** An OS PA message with product and device ID: enough for the OS IMV to start the policy session. */
function osMessage() {
  const body = encodePaMessage({
    messageId: 1,
    attributes: [
      ProductInformationAttr.make({ vendor: 9586, productId: 0, name: 'Debian' }),
      StringVersionAttr.make({ version: '12 x86_64', build: '', config: '' }),
      DeviceIdAttr.make('00112233'),
    ],
  });
  return pbPaFromEnvelope({ type: PA_SUBTYPE.OS, collectorId: 1, validatorId: 0xffff, exclusive: false, body });
}

test('a client that stops answering is timed out and its session freed', async () => {
  const t = await client();
  await t.send(batch(PB_BATCH.CDATA, [PbLanguagePreferenceMsg.make('en'), osMessage()]));
  const reply = decodeBatch(await t.receive(), ALL_CODECS.pb);
  assert.equal(reply.type, PB_BATCH.SDATA);
  await assert.rejects(t.receive(), /closed|timeout|ended/i); // the server gives up after its idle timeout
  assert.ok(
    serverLog.lines.some((l) => /connection ended: no PT-TLS message within 400 ms/.test(l)),
    serverLog.lines.slice(-5).join('\n'),
  );
  assert.ok(serverLog.lines.some((l) => l.includes('removed TNCCS Connection ID')));
});

test('a client gone mid-handshake ends only its own session', async () => {
  const t = await client();
  await t.send(batch(PB_BATCH.CDATA));
  await t.close();
  const again = await client();
  await again.send(encodeBatch({ type: PB_BATCH.CLOSE, fromServer: false, messages: [] }));
  await again.close();
});
