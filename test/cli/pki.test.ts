import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `tnc-agent pki` as a real process with the real openssl tool.
const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
const dir = mkdtempSync(join(tmpdir(), 'tnc-pki-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function clientCert(cn: string): X509Certificate {
  const out = join(dir, cn.replace(/[^A-Za-z0-9]/g, '_'));
  const r = spawnSync(process.execPath, [bin, 'pki', '--out', out, '--cn-client', cn, '--days', '2'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return new X509Certificate(readFileSync(join(out, 'client.pem')));
}

test('pki --cn-client puts the identity in a subjectAltName too: email for user@host, DNS for a host name', () => {
  const email = clientCert('client@tnc.test');
  assert.equal(email.subject, 'CN=client@tnc.test');
  assert.equal(
    email.subjectAltName,
    'email:client@tnc.test',
    "strongSwan's pt-tls-client --client client@tnc.test finds its certificate by this SAN",
  );
  assert.equal(email.checkEmail('client@tnc.test'), 'client@tnc.test');
  const dns = clientCert('client.tnc.test');
  assert.equal(dns.subjectAltName, 'DNS:client.tnc.test');
  assert.equal(dns.checkHost('client.tnc.test'), 'client.tnc.test');
  assert.equal(clientCert('lab client').subjectAltName, undefined, 'a name with a space is no email or DNS name');
});
