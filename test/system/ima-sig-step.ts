import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImaBinary, decodeImaFields, decodeImaSignature, imaKeyId } from '../../src/measurements/ima';
import type { AttestOutcome } from './attestation-step';

/**
 * The ima-sig boot of the system test: the kernel logs `ima_template=ima-sig ima_hash=sha256` under
 * the test's own policy (ima-sig-policy.txt, written by the guest before anything runs), and the
 * guest signs files with `evmctl ima_sign` on a tmpfs with a key this test makes. The server holds
 * the key's certificate in its policy database (`db import-ima-keys`) and fails only bad
 * signatures (`--ima-signatures bad`): the signed file is
 * reported ok, a file whose signature was tampered with is reported bad and fails the workitem.
 */
export const SIGNED_DIR = '/run/ima-signed';
export const SIGNED = `${SIGNED_DIR}/signed.sh`;
export const TAMPERED = `${SIGNED_DIR}/tampered.sh`;
export const IMA_SIG_ARGS = 'ima_template=ima-sig ima_hash=sha256';
const POLICY = join(__dirname, 'ima-sig-policy.txt');

export interface SigningKey {
  key: string;
  cert: string;
  /** The IMA key id evmctl puts in its signatures (last 4 bytes of the key's SHA-1 identifier). */
  keyId: string;
}

/** A throwaway RSA signing key and its self-signed certificate (openssl), in `dir`. */
export function makeSigningKey(dir: string): SigningKey {
  const key = join(dir, 'ima-signing.key');
  const cert = join(dir, 'ima-signing.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=tnc-agent system test IMA signing key',
      '-addext',
      'subjectKeyIdentifier=hash',
      '-addext',
      'keyUsage=digitalSignature',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { key, cert, keyId: imaKeyId(new X509Certificate(readFileSync(cert))) };
}

/** Where the guest finds the signing key (IMA_SIGN_KEY): in the exchange dir. */
export const guestSigningKey = (xfer: string) => join(xfer, 'ima-signing.key');

/** Puts the policy and the signing key into the exchange dir. */
export function prepareXfer(xfer: string, signing: SigningKey): void {
  copyFileSync(POLICY, join(xfer, 'ima-policy'));
  copyFileSync(signing.key, guestSigningKey(xfer));
}

/** The guest's list is an ima-sig list whose signed files carry evmctl's signature by our key. */
export function checkImaSigList(list: Buffer, signing: SigningKey, expected: string[]): void {
  const entries = decodeImaBinary(list);
  const templates = [...new Set(entries.map((e) => e.template))];
  assert.deepEqual(templates, ['ima-sig'], 'templates in the list');
  const fields = entries.map(decodeImaFields);
  for (const path of expected) {
    const entry = fields.find((f) => f.path === path);
    assert.ok(entry, `${path} is not in the IMA list`);
    assert.ok(entry.signature && entry.signature.length > 0, `${path} was measured without its signature`);
    assert.equal(decodeImaSignature(entry.signature).keyId, signing.keyId, `${path}: key id`);
  }
  const signed = fields.filter((f) => f.signature && f.signature.length > 0).map((f) => f.path);
  assert.deepEqual(signed.sort(), [...expected].sort(), 'files with a signature in the list');
}

/** The files a verdict's reasons name as bad signatures (evidence.ts: "N IMA file signatures are bad: a, b"). */
function badSignatures(o: AttestOutcome): string[] {
  return o.reasons
    .flatMap((r) => r.split('; '))
    .flatMap((r) => /^\d+ IMA file signatures are bad: (.*)$/.exec(r)?.[1].split(', ') ?? []);
}

/** Boot 2's attestations as they concern signatures: ok while allowed, bad (and failing) once tampered with. */
export function checkSignatures(
  allowed: AttestOutcome,
  changed: AttestOutcome,
  tampered: AttestOutcome,
  onFail: AttestOutcome['access'],
  serverLog: string,
): void {
  assert.ok(
    serverLog.includes(`IMA signature of '${SIGNED}' is ok: signed by key `),
    `the server did not report the signature of ${SIGNED} ok`,
  );
  assert.deepEqual(badSignatures(allowed), []);
  assert.deepEqual(badSignatures(changed), [], JSON.stringify(changed.reasons));
  assert.equal(tampered.access, onFail, JSON.stringify(tampered));
  assert.deepEqual(badSignatures(tampered), [TAMPERED], JSON.stringify(tampered.reasons));
  assert.match(serverLog, new RegExp(`IMA signature of '${TAMPERED.replace(/\./g, '\\.')}' is bad: `));
}
