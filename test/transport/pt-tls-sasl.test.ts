import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { labPki } from '../helpers/pki';
import type { LabPki } from '../../src/cli/commands/pki';
import { connectPtTls, isTransportError, startPtTlsServer, type PtTlsServer } from '../../src/transport/pt-tls';
import { Logger, MemorySink } from '../../src/log';
import type { ArIdentities } from '../../src/tnccs/types';

let pki: LabPki;
let server: PtTlsServer;
const identities: (string | undefined)[] = [];
const arIdentities: (ArIdentities | undefined)[] = [];
const sink = new MemorySink();

before(async () => {
  pki = await labPki();
  // TLS_OR_SASL as strongSwan's PDP: SASL only for clients without a certificate
  server = await startPtTlsServer(
    {
      port: 0,
      cert: pki.pem.serverCert,
      key: pki.pem.serverKey,
      ca: pki.pem.ca,
      requireClientCert: false,
      sasl: { users: { alice: 'correct horse' } },
      log: new Logger(1, 'text', sink),
    },
    async (t) => {
      identities.push(t.peerIdentity);
      arIdentities.push(t.arIdentities);
      await t.send(Buffer.from(t.peerIdentity ?? '-'));
    },
  );
});
after(() => server.close());

const base = () => ({ port: server.port, ca: pki.pem.ca });

test('SASL PLAIN with the right password: the authcid is the peer identity', async () => {
  const t = await connectPtTls({ ...base(), sasl: { user: 'alice', password: 'correct horse' } });
  assert.equal((await t.receive()).toString(), 'alice');
  await t.close();
  assert.ok(identities.includes('alice'));
  assert.ok(sink.lines.includes("[TNC] SASL PLAIN authentication of 'alice' successful"));
});

test('SASL PLAIN with a wrong password is aborted', async () => {
  const before = identities.length;
  await assert.rejects(
    connectPtTls({ ...base(), sasl: { user: 'alice', password: 'wrong' } }),
    (e: unknown) => isTransportError(e) && e.code === 'auth' && /ABORT/.test(e.message),
  );
  await assert.rejects(
    connectPtTls({ ...base(), sasl: { user: 'mallory', password: 'correct horse' } }),
    (e: unknown) => isTransportError(e) && e.code === 'auth',
  );
  assert.equal(identities.length, before);
});

test('a client without credentials cannot pass the SASL phase', async () => {
  await assert.rejects(
    connectPtTls(base()),
    (e: unknown) => isTransportError(e) && e.code === 'protocol' && /SASL Mechanism Error/.test(e.message),
  );
});

test('a client with a certificate skips SASL', async () => {
  const t = await connectPtTls({ ...base(), cert: pki.pem.clientCert, key: pki.pem.clientKey });
  assert.equal((await t.receive()).toString(), 'client.lab');
  await t.close();
});

test('AR identities for the IMVs: the SASL user authenticated by password, or the certificate subject; the client address', async () => {
  const from = arIdentities.length;
  const sasl = await connectPtTls({ ...base(), sasl: { user: 'alice', password: 'correct horse' } });
  await sasl.receive();
  await sasl.close();
  const cert = await connectPtTls({ ...base(), cert: pki.pem.clientCert, key: pki.pem.clientKey });
  await cert.receive();
  await cert.close();
  const machine = { value: '127.0.0.1', type: 'IPv4 address', authenticatedBy: 'unknown method' };
  assert.deepEqual(arIdentities.slice(from), [
    { user: { value: 'alice', type: 'username', authenticatedBy: 'password' }, machine },
    { user: { value: `CN=${pki.clientCn}`, type: 'X.500 DN', authenticatedBy: 'certificate' }, machine },
  ]);
});
