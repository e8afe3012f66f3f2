import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { once } from 'node:events';
import { labPki } from '../helpers/pki';
import type { LabPki } from '../../src/cli/commands/pki';
import {
  connectPtTls,
  isTransportError,
  startPtTlsServer,
  type BatchTransport,
  type PtTlsServer,
} from '../../src/transport/pt-tls';
import { encodePtTlsMessage, PtTlsErrorCode, PT_TLS_MAX_MESSAGE_LEN } from '../../src/protocol/pt-tls';
import { Logger, MemorySink } from '../../src/log';
import { RawPeer } from './raw-client';

let pki: LabPki;
let server: PtTlsServer;
const sink = new MemorySink();
const sessions: { identity?: string; error?: unknown }[] = [];

/** The server under test echoes every batch back with its first byte incremented, until the peer closes. */
async function echo(t: BatchTransport): Promise<void> {
  const s: { identity?: string; error?: unknown } = { identity: t.peerIdentity };
  sessions.push(s);
  try {
    for (;;) {
      const b = Buffer.from(await t.receive());
      b[0]++;
      await t.send(b);
    }
  } catch (e) {
    s.error = e;
  }
}

before(async () => {
  pki = await labPki();
  server = await startPtTlsServer(
    {
      port: 0,
      cert: pki.pem.serverCert,
      key: pki.pem.serverKey,
      ca: pki.pem.ca,
      handshakeTimeoutMs: 1500,
      log: new Logger(2, 'text', sink),
    },
    echo,
  );
});
after(() => server.close());

const clientOpts = () => ({ port: server.port, ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey });
const versionRequest = (min: number, max: number) =>
  encodePtTlsMessage({
    id: 0,
    value: { kind: 'versionRequest', minVersion: min, maxVersion: max, preferredVersion: max },
  });

test('certificate client: version 1, empty SASL list, batches both ways, CN as identity', async () => {
  const clientSink = new MemorySink();
  const t = await connectPtTls({ ...clientOpts(), log: new Logger(2, 'text', clientSink) });
  assert.equal(t.peerIdentity, 'tnc-server');
  assert.equal(t.maxBatchSize, PT_TLS_MAX_MESSAGE_LEN - 16);
  for (const first of [1, 7]) {
    await t.send(Buffer.from([first, 0, 0, 1, 0, 0, 0, 8]));
    assert.deepEqual(await t.receive(), Buffer.from([first + 1, 0, 0, 1, 0, 0, 0, 8]));
  }
  await t.close();
  assert.ok(sessions.some((s) => s.identity === 'client.lab'));
  // message ids count per sender from 0, as in strongSwan's log
  assert.ok(clientSink.lines.includes("[TNC] sending PT-TLS message #0 of type 'Version Request' (20 bytes)"));
  assert.ok(clientSink.lines.includes("[TNC] received PT-TLS message #1 of type 'SASL Mechanisms' (16 bytes)"));
  assert.ok(clientSink.lines.includes("[TNC] received PT-TLS message #2 of type 'PB-TNC Batch' (24 bytes)"));
  assert.ok(sink.lines.includes('[TNC] skipping SASL, client already authenticated by TLS certificate'));
});

test('a bad PT-TLS version gets a Version Not Supported error, then close', async () => {
  const p = await RawPeer.connect(server.port, pki);
  p.write(versionRequest(2, 3));
  await p.ended;
  assert.equal(p.received.length, 1);
  const v = p.received[0].value;
  assert.ok(v.kind === 'error' && v.errorCode === PtTlsErrorCode.VERSION_NOT_SUPPORTED);
  assert.deepEqual(v.offending, versionRequest(2, 3));
});

test('a PB-TNC batch before negotiation gets an Invalid Message error, then close', async () => {
  const p = await RawPeer.connect(server.port, pki);
  p.write(encodePtTlsMessage({ id: 0, value: { kind: 'pbTncBatch', batch: Buffer.alloc(8) } }));
  await p.ended;
  const v = p.received[0]?.value;
  assert.ok(v?.kind === 'error' && v.errorCode === PtTlsErrorCode.INVALID_MESSAGE);
});

test('an oversize message length is refused at its header', async () => {
  const p = await RawPeer.connect(server.port, pki);
  p.write(versionRequest(1, 1));
  const big = Buffer.from(encodePtTlsMessage({ id: 1, value: { kind: 'pbTncBatch', batch: Buffer.alloc(8) } }));
  big.writeUInt32BE(PT_TLS_MAX_MESSAGE_LEN + 1, 8);
  p.write(big);
  await p.ended;
  assert.deepEqual(
    p.received.map((m) => m.value.kind),
    ['versionResponse', 'saslMechanisms', 'error'],
  );
  const v = p.received[2].value;
  assert.ok(v.kind === 'error' && v.errorCode === PtTlsErrorCode.MALFORMED_MESSAGE);
});

test('garbage on one socket: PT-TLS Error and close, while another client still works', async () => {
  const p = await RawPeer.connect(server.port, pki);
  const good = await connectPtTls(clientOpts());
  p.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  await p.ended;
  const v = p.received[0]?.value;
  assert.ok(v?.kind === 'error' && v.errorCode === PtTlsErrorCode.MALFORMED_MESSAGE);
  assert.deepEqual(v.offending.subarray(0, 4), Buffer.from('GET '));
  await good.send(Buffer.from([2, 0, 0, 1, 0, 0, 0, 8]));
  assert.deepEqual(await good.receive(), Buffer.from([3, 0, 0, 1, 0, 0, 0, 8]));
  await good.close();
});

test('TLS without a client certificate is refused when one is required', async () => {
  const before = sessions.length;
  await assert.rejects(
    connectPtTls({ port: server.port, ca: pki.pem.ca }),
    (e: unknown) => isTransportError(e) && ['tls', 'closed', 'io'].includes(e.code),
  );
  assert.equal(sessions.length, before, 'no session was started');
});

test('a silent TCP peer is dropped after the handshake timeout', { timeout: 10_000 }, async () => {
  const s = tcpConnect(server.port, '127.0.0.1');
  s.on('error', () => undefined);
  await once(s, 'close');
});

test(
  'a TLS peer that never sends a Version Request is dropped after the handshake timeout',
  { timeout: 10_000 },
  async () => {
    const p = await RawPeer.connect(server.port, pki);
    await p.ended;
    assert.equal(p.received.length, 0);
  },
);

test('the client gives up on a server that never answers the TLS handshake', { timeout: 10_000 }, async () => {
  const { createServer } = await import('node:net');
  const mute = createServer(() => undefined);
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  const port = (mute.address() as { port: number }).port;
  await assert.rejects(
    connectPtTls({ port, ca: pki.pem.ca, handshakeTimeoutMs: 300 }),
    (e: unknown) => isTransportError(e) && e.code === 'timeout',
  );
  mute.close();
});

test(
  'a TLS failure is logged with the peer address and the reason, also when the peer hung up',
  { timeout: 10_000 },
  async () => {
    const from = sink.lines.length;
    // a ClientHello cut short, then gone: the server's socket no longer knows its peer when it reports
    const s = tcpConnect(server.port, '127.0.0.1');
    s.on('error', () => undefined);
    await once(s, 'connect');
    const port = s.localPort;
    s.end(Buffer.from('16030100', 'hex'));
    for (let i = 0; i < 200 && !sink.lines.slice(from).some((l) => l.includes('TLS handshake with')); i++)
      await new Promise((r) => setTimeout(r, 10));
    const line = sink.lines.slice(from).find((l) => l.includes('TLS handshake with'));
    assert.ok(line, sink.lines.slice(from).join('\n'));
    assert.match(line, new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${port} failed: \\S`));
    assert.doesNotMatch(line, /undefined/);
  },
);
