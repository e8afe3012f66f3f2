import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writer } from '../../src/bytes/cursor';
import type { AttributeType, PaAttribute } from '../../src/protocol/pa-tnc/registry';
import {
  AikAttr,
  DH_GROUP,
  DhNonceFinishAttr,
  DhNonceParamsRequestAttr,
  DhNonceParamsResponseAttr,
  HASH_ALG,
  MeasAlgoRequestAttr,
  MeasAlgoSelectionAttr,
  ProtoCapsAttr,
  QUOTE_MODE,
  RequestComponentEvidenceAttr,
  RequestProtoCapsAttr,
  SimpleComponentEvidenceAttr,
  SimpleEvidenceFinalAttr,
  TpmVersionInfoAttr,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { SwIdInventoryAttr, SwimaRequestAttr, SwInventoryAttr } from '../../src/protocol/pa-tnc/swima';
import { logHexDump, readLog, VECTORS, vectorAttributes } from './pts-swima-util';

const serverLog = readLog('server.log');

function only<V>(attrs: PaAttribute[], t: AttributeType<V>): V {
  const found = attrs.filter((a): a is PaAttribute<V> => t.is(a));
  assert.equal(found.length, 1, `exactly one ${t.fullName}`);
  return found[0].value;
}

function all<V>(attrs: PaAttribute[], t: AttributeType<V>): V[] {
  return attrs.filter((a): a is PaAttribute<V> => t.is(a)).map((a) => a.value);
}

test('02 SDATA: SWIMA request for events and PTS negotiation requests', () => {
  const attrs = vectorAttributes('02-server_to_client-SDATA.bin');
  assert.deepEqual(only(attrs, SwimaRequestAttr), {
    clearSubscriptions: false,
    subscribe: false,
    idsOnly: true,
    requestId: 3,
    earliestEid: 1,
    softwareIds: [],
  });
  assert.deepEqual(RequestProtoCapsAttr.spec.describe?.(only(attrs, RequestProtoCapsAttr)), [
    'requested PTS protocol capabilities: .VDT.',
  ]);
  assert.equal(only(attrs, MeasAlgoRequestAttr).algorithms, HASH_ALG.SHA1 | HASH_ALG.SHA256);
});

test('03 CDATA: SW ID inventory and PTS negotiation answers match the server log', () => {
  const attrs = vectorAttributes('03-client_to_server-CDATA.bin');
  const inv = only(attrs, SwIdInventoryAttr);
  assert.equal(
    SwIdInventoryAttr.spec.describe?.(inv)[0],
    'software ID inventory with 7 items for request 3 at last eid 1 of epoch 0x11223344',
  );
  const logged = [...serverLog.matchAll(/\[IMV\]\s+\d+: (debian\.org__\S+)/g)].map((m) => m[1]);
  assert.ok(logged.length >= 6);
  for (const id of logged)
    assert.ok(
      inv.records.some((r) => r.softwareId === id),
      id,
    );
  assert.ok(serverLog.includes(ProtoCapsAttr.spec.describe!(only(attrs, ProtoCapsAttr))[0]));
  assert.ok(serverLog.includes(MeasAlgoSelectionAttr.spec.describe!(only(attrs, MeasAlgoSelectionAttr))[0]));
});

test('profile B 03 CDATA: full SW inventory with SWID tags', () => {
  const inv = only(vectorAttributes('profile-B/03-client_to_server-CDATA.bin'), SwInventoryAttr);
  const log = readLog('profile-B/server.log');
  assert.ok(log.includes(`received ${SwInventoryAttr.spec.describe!(inv)[0]}`));
  for (const r of inv.records) assert.match(r.record!.toString('utf8'), /^<\?xml[\s\S]*SoftwareIdentity/);
});

test('04-06: DH nonce exchange values equal the ones strongSwan logged', () => {
  assert.deepEqual(only(vectorAttributes('04-server_to_client-SDATA.bin'), DhNonceParamsRequestAttr), {
    minNonceLength: 0,
    dhGroups: DH_GROUP.MODP_1024 | DH_GROUP.MODP_1536 | DH_GROUP.MODP_2048 | DH_GROUP.ECP_256,
  });
  const resp = only(vectorAttributes('05-client_to_server-CDATA.bin'), DhNonceParamsResponseAttr);
  for (const line of DhNonceParamsResponseAttr.spec.describe!(resp)) assert.ok(serverLog.includes(line), line);
  assert.equal(resp.responderPublicValue.length, 64, 'ECP_256 public value X||Y');
  assert.deepEqual(resp.responderNonce, logHexDump(serverLog, 'responder nonce'));
  const fin = only(vectorAttributes('06-server_to_client-SDATA.bin'), DhNonceFinishAttr);
  assert.equal(fin.hashAlgorithm, HASH_ALG.SHA256);
  assert.deepEqual(fin.initiatorNonce, logHexDump(serverLog, 'initiator nonce'));
});

test('07 CDATA: TPM version info and AIK match the log and the evidence key', () => {
  const attrs = vectorAttributes('07-client_to_server-CDATA.bin');
  const line = TpmVersionInfoAttr.spec.describe!(only(attrs, TpmVersionInfoAttr))[0];
  assert.equal(line, 'Version Information: TPM 2.0 rev. 1.64 2021 IBM - startup locality: 3');
  assert.ok(serverLog.includes(line));
  const aik = only(attrs, AikAttr);
  assert.equal(aik.bareKey, true);
  assert.deepEqual(aik.der, readFileSync(join(VECTORS, 'evidence', 'ak.pub.der')));
  assert.equal(createHash('sha1').update(aik.der).digest('hex'), 'af61115643f343bb6d36373db32c73a70ddb277b');
});

test('08 SDATA: evidence request names BIOS and IMA components as logged', () => {
  const req = only(vectorAttributes('08-server_to_client-SDATA.bin'), RequestComponentEvidenceAttr);
  for (const line of RequestComponentEvidenceAttr.spec.describe!(req))
    assert.ok(serverLog.includes(`[PTS] ${line}`) || serverLog.includes(`[IMV] ${line}`), line);
  assert.deepEqual(
    req.components.map((c) => [c.flags, c.component.qualifier]),
    [
      [0x10, 0x21],
      [0x10, 0x22],
    ],
  );
});

test('09 CDATA: 14 BIOS + 5 IMA evidence entries in the logged order', () => {
  const attrs = vectorAttributes('09-client_to_server-CDATA.bin');
  const evidence = all(attrs, SimpleComponentEvidenceAttr);
  assert.equal(evidence.filter((e) => e.component.qualifier === 0x21).length, 14);
  assert.equal(evidence.filter((e) => e.component.qualifier === 0x22).length, 5);
  const logged = [...serverLog.matchAll(/\[PTS\] (PCR [ \d]\d extended with: \S+)/g)].map((m) => m[1]);
  assert.deepEqual(
    evidence.map((e) => SimpleComponentEvidenceAttr.spec.describe!(e)[2]),
    logged,
  );
  const uris = [...serverLog.matchAll(/\[PTS\] '(sha256:[^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(
    evidence.filter((e) => e.policyUri !== undefined).map((e) => e.policyUri),
    uris,
  );
});

test('09 CDATA: Simple Evidence Final rebuilds the 145-byte TPM Quote Info strongSwan verified', () => {
  const fin = only(vectorAttributes('09-client_to_server-CDATA.bin'), SimpleEvidenceFinalAttr);
  assert.equal(fin.quoteMode, QUOTE_MODE.TPM2);
  assert.deepEqual(fin.pcrCompositeDigest, logHexDump(serverLog, 'constructed PCR Composite digest'));
  const t = fin.tpm2!;
  const secret = logHexDump(serverLog, 'secret assessment value');
  // TPM 2.0 Part 2 10.12.8 TPMS_ATTEST: magic, type quote, signer, extraData, clock, firmware, then TPMS_QUOTE_INFO
  const w = new Writer().u32(0xff544347).u16(0x8018).lengthPrefixed(2, t.qualifiedSigner).lengthPrefixed(2, secret);
  w.bytes(t.clockInfo).bytes(t.firmwareVersion).bytes(t.pcrSelection).lengthPrefixed(2, fin.pcrCompositeDigest!);
  assert.deepEqual(w.finish(), logHexDump(serverLog, 'constructed TPM Quote Info'));
  assert.equal(fin.quoteSignature?.length, 256);
});
