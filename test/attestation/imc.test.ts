import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttestationImc, akDeviceId } from '../../src/imcs/attestation';
import { ptsSecret } from '../../src/imcv/pts/dh';
import { extendLabEvidence, labEvidencePaths } from '../../src/lab';
import { decodeEventLog, replayEventLog } from '../../src/measurements/eventlog';
import { replayImaList } from '../../src/measurements/ima';
import { silentLogger } from '../../src/log';
import type { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { PaTncErrorAttr } from '../../src/protocol/pa-tnc/ietf/pa-tnc-error';
import { SymlinksAttr } from '../../src/protocol/pa-tnc/ita';
import {
  AikAttr,
  DH_GROUP,
  DhNonceFinishAttr,
  DhNonceParamsRequestAttr,
  DhNonceParamsResponseAttr,
  GenerateAttestationEvidenceAttr,
  HASH_ALG,
  MeasAlgoRequestAttr,
  MeasAlgoSelectionAttr,
  ProtoCapsAttr,
  PTS_ERROR,
  RequestProtoCapsAttr,
  SimpleComponentEvidenceAttr,
  SimpleEvidenceFinalAttr,
  TpmVersionInfoAttr,
  capabilityString,
  type UntrustedEvidenceFinal,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { VENDOR } from '../../src/protocol/vendors';
import { ALG } from '../../src/tpm/constants';
import { keyId, publicKeyObject } from '../../src/tpm/public';
import { Tpm } from '../../src/tpm/tpm';
import { verifyQuote } from '../../src/tpm/verify';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { ImcHarness, imvPtsMessages, rebuildQuote, VECTORS } from './imc-harness';

// The Attestation IMC on swtpm, extended in lab evidence mode with the capture's evidence (whose
// event log starts the TPM at locality 3), answering strongSwan's real IMV requests.
const EVIDENCE = join(VECTORS, 'evidence');
const work = mkdtempSync(join(tmpdir(), 'att-imc-'));
let swtpm: Swtpm;
let tpm: Tpm;
let deviceId: string;

before(async () => {
  swtpm = await startSwtpm();
  tpm = await Tpm.open(swtpm.tcti);
  deviceId = (await tpm.provisionAk()).keyId;
  await extendLabEvidence(tpm, swtpm.tcti, EVIDENCE, silentLogger);
  // a UsrMerge root: /bin and /lib are directory symlinks, /vmlinuz a file symlink
  mkdirSync(join(work, 'root', 'usr', 'bin'), { recursive: true });
  mkdirSync(join(work, 'root', 'usr', 'lib'), { recursive: true });
  symlinkSync('usr/bin', join(work, 'root', 'bin'));
  symlinkSync('usr/lib', join(work, 'root', 'lib'));
  symlinkSync('usr/bin/ls', join(work, 'root', 'vmlinuz'));
});

after(async () => {
  await tpm?.close();
  await swtpm?.stop();
  rmSync(work, { recursive: true, force: true });
});

function newImc(paths = labEvidencePaths(EVIDENCE)): ImcHarness {
  return new ImcHarness(new AttestationImc({ tpm, paths: { ...paths, symlinkRoot: join(work, 'root') } }));
}

function one<V>(attrs: PaAttribute[], is: (a: PaAttribute) => a is PaAttribute<V>): V {
  const found = attrs.filter(is);
  assert.equal(found.length, 1, `expected one attribute, got ${found.length} of ${attrs.length}`);
  return found[0].value;
}

/** The IMV side of the DH exchange with P-256, as strongSwan's IMV does it. */
function finishDh(resp: { responderNonce: Buffer; responderPublicValue: Buffer; hashAlgorithms: number }) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const nonce = Buffer.alloc(resp.responderNonce.length, 0x5a);
  const z = ecdh.computeSecret(Buffer.concat([Buffer.from([4]), resp.responderPublicValue]));
  const finish = DhNonceFinishAttr.make({
    hashAlgorithm: resp.hashAlgorithms,
    initiatorPublicValue: ecdh.getPublicKey().subarray(1),
    initiatorNonce: nonce,
  });
  return { finish, secret: ptsSecret(resp.hashAlgorithms, nonce, resp.responderNonce, z) };
}

test("the DH secret formula reproduces strongSwan's logged secret assessment value", () => {
  // values from server.log of the capture (initiator/responder nonce, shared DH secret, secret)
  const secret = ptsSecret(
    HASH_ALG.SHA256,
    Buffer.from('83b0d6366a0902cb0b0cb0aedbac7fa1dfef5b36', 'hex'),
    Buffer.from('e8284f32224d3a62ce6e397bd381ef319708a9e8', 'hex'),
    Buffer.from('874f445e39e884820de46e796ebe86c9d512d53a5928724178f61aafd7087242', 'hex'),
  );
  assert.equal(secret.toString('hex'), '634d500b46251ae388a14692da5c7a8c0eda379bf7c78f96fa2ed9ff56be2ca6');
});

test("answers strongSwan's IMV requests; the quote verifies against the replayed evidence", async () => {
  const [caps, dhReq, dhFinish, evidenceReq] = imvPtsMessages();
  const h = newImc();
  const a1 = await h.deliver(caps);
  assert.equal(capabilityString(one(a1, ProtoCapsAttr.is.bind(ProtoCapsAttr)).flags), '.VDT.');
  assert.equal(one(a1, MeasAlgoSelectionAttr.is.bind(MeasAlgoSelectionAttr)).algorithm, HASH_ALG.SHA256);

  const resp = one(await h.deliver(dhReq), DhNonceParamsResponseAttr.is.bind(DhNonceParamsResponseAttr));
  assert.equal(resp.dhGroup, DH_GROUP.ECP_256);
  assert.equal(resp.hashAlgorithms, HASH_ALG.SHA256);
  assert.equal(resp.responderNonce.length, 20);
  assert.equal(resp.responderPublicValue.length, 64);

  // strongSwan's own DH Nonce Finish is for another responder key: it must be accepted, then ours replaces it
  const a3 = await h.deliver(dhFinish);
  const version = one(a3, TpmVersionInfoAttr.is.bind(TpmVersionInfoAttr));
  assert.equal(version.tpm2?.locality, 3, "the event log's StartupLocality");
  const aik = one(a3, AikAttr.is.bind(AikAttr));
  assert.ok(aik.bareKey);
  assert.equal(createHash('sha1').update(aik.der).digest('hex'), deviceId);
  assert.equal(await akDeviceId(tpm), deviceId);
  const { finish, secret } = finishDh(resp);
  assert.deepEqual(await h.send([finish]), []);

  const a4 = await h.deliver(evidenceReq);
  assert.deepEqual(one(a4, SymlinksAttr.is.bind(SymlinksAttr)), [
    { symlink: '/bin', target: '/usr/bin' },
    { symlink: '/lib', target: '/usr/lib' },
  ]);
  const sce = a4.filter(SimpleComponentEvidenceAttr.is.bind(SimpleComponentEvidenceAttr)).map((a) => a.value);
  const log = decodeEventLog(readFileSync(join(EVIDENCE, 'binary_bios_measurements')));
  const ima = readFileSync(join(EVIDENCE, 'binary_runtime_measurements'));
  const imaReplay = replayImaList(ima, { banks: ['sha256'] });
  assert.equal(sce.length, log.events.filter((e) => e.type !== 3).length + imaReplay.entries);
  assert.equal(sce.filter((e) => e.policyUri !== undefined)[0].policyUri, 'sha256:boot_aggregate');
  assert.ok(
    sce.every((e) => e.pcrChange),
    'P was requested: every evidence has before/after values',
  );

  // independent replay of the files: firmware log (from locality 3) and IMA into the sha256 bank
  const replayed = { ...replayEventLog(log).pcrs.sha256, ...imaReplay.pcrs.sha256 };
  const expected = JSON.parse(readFileSync(join(EVIDENCE, 'expected_pcrs.json'), 'utf8')).sha256 as Record<
    string,
    string
  >;
  assert.deepEqual(replayed, expected);
  const lastAfter = new Map(sce.map((e) => [e.pcr, e.pcrChange!.after.toString('hex')]));
  for (const [pcr, v] of lastAfter) assert.equal(v, replayed[pcr], `PCR ${pcr} after the last evidence`);

  const sef: UntrustedEvidenceFinal = one(a4, SimpleEvidenceFinalAttr.is.bind(SimpleEvidenceFinalAttr));
  const pcrs = [...lastAfter.keys()].sort((a, b) => a - b);
  const values = new Map([[ALG.SHA256, new Map(pcrs.map((p) => [p, Buffer.from(replayed[p], 'hex')]))]]);
  const composite = createHash('sha256')
    .update(Buffer.concat(pcrs.map((p) => Buffer.from(replayed[p], 'hex'))))
    .digest();
  assert.deepEqual(sef.pcrCompositeDigest, composite);
  const ak = (await tpm.readPublic(0x81010003)).public;
  assert.equal(keyId(publicKeyObject(ak)), deviceId);
  const v = verifyQuote(rebuildQuote(sef, secret, composite), { ak, nonce: secret, pcrs: values });
  assert.ok(v.ok, v.ok ? '' : `${v.reason}: ${v.detail}`);
  // a verifier holding another nonce (a replayed quote) must fail
  const stale = verifyQuote(rebuildQuote(sef, Buffer.alloc(32, 1), composite), {
    ak,
    nonce: Buffer.alloc(32, 1),
    pcrs: values,
  });
  assert.equal(stale.ok, false);
});

function ptsErrorCode(attrs: PaAttribute[]): number | undefined {
  const e = one(attrs, PaTncErrorAttr.is.bind(PaTncErrorAttr));
  assert.equal(e.vendor, VENDOR.TCG);
  return e.code;
}

test('unsupported requests get TCG PTS errors', async () => {
  const h = newImc();
  assert.equal(
    ptsErrorCode(await h.send([MeasAlgoRequestAttr.make({ algorithms: HASH_ALG.SHA512 })])),
    PTS_ERROR.HASH_ALG_NOT_SUPPORTED,
  );
  assert.equal(
    ptsErrorCode(await h.send([DhNonceParamsRequestAttr.make({ minNonceLength: 0, dhGroups: 0x0001 })])),
    PTS_ERROR.DH_GROUPS_NOT_SUPPORTED,
  );
  assert.equal(ptsErrorCode(await h.send([GenerateAttestationEvidenceAttr.make({})])), PTS_ERROR.UNABLE_CUR_EVID);
  // without T negotiated, PCR information (P) cannot be given
  const evidenceReq = imvPtsMessages()[3];
  await h.send([
    RequestProtoCapsAttr.make({ flags: 0x08 }),
    MeasAlgoRequestAttr.make({ algorithms: HASH_ALG.SHA256 | HASH_ALG.SHA1 }),
  ]);
  const a = await h.deliver(evidenceReq);
  assert.equal(a.filter(PaTncErrorAttr.is.bind(PaTncErrorAttr))[0]?.value.code, PTS_ERROR.UNABLE_DET_PCR);
});

test('missing evidence files give "unable to collect current evidence", not a crash', async () => {
  const h = newImc({ bootEventLog: join(work, 'nope'), imaList: join(work, 'nope2') });
  const [caps, , , evidenceReq] = imvPtsMessages();
  await h.deliver(caps);
  const a = await h.deliver(evidenceReq);
  assert.equal(a.filter(PaTncErrorAttr.is.bind(PaTncErrorAttr))[0]?.value.code, PTS_ERROR.UNABLE_CUR_EVID);
  assert.ok(h.logSink.lines.some((l) => l.includes("cannot read '")));
});
