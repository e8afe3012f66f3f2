import { ALL_CODECS } from '../../src/protocol/codecs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/bytes/errors';
import { Reader, Writer } from '../../src/bytes/cursor';
import { VENDOR } from '../../src/protocol/vendors';
import { decodePaMessage } from '../../src/protocol/pa-tnc/message';
import {
  AikAttr,
  decodePtsErrorInfo,
  DH_GROUP,
  DhNonceFinishAttr,
  DhNonceParamsRequestAttr,
  DhNonceParamsResponseAttr,
  encodePtsErrorInfo,
  PtsErrorInfo,
  encodeTpm2VersionInfo,
  FileMeasurementAttr,
  GenerateAttestationEvidenceAttr,
  GetAikAttr,
  GetTpmVersionInfoAttr,
  HASH_ALG,
  ITA_COMP,
  MeasAlgoRequestAttr,
  MeasAlgoSelectionAttr,
  ProtoCapsAttr,
  PTS_CAP,
  QUOTE_MODE,
  RequestComponentEvidenceAttr,
  RequestFileMeasurementAttr,
  RequestFileMetadataAttr,
  RequestProtoCapsAttr,
  SCE_VALIDATION,
  SimpleComponentEvidenceAttr,
  SimpleEvidenceFinalAttr,
  TpmVersionInfoAttr,
  UnixFileMetadataAttr,
  UntrustedComponentEvidence,
  UntrustedEvidenceFinal,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { decodeValue, roundTrip } from './pts-swima-util';

const isDecodeError = (kind: string, offset?: number) => (e: unknown) =>
  e instanceof DecodeError && e.kind === kind && (offset === undefined || e.offset === offset);

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
const ima = { vendor: VENDOR.ITA, family: 0, qualifier: 0x22, name: ITA_COMP.IMA };
const TIME = '2026-11-27T02:40:56Z';

function assertRoundTrip<V>(t: Parameters<typeof roundTrip<V>>[0], v: V): void {
  const r = roundTrip(t, v);
  assert.deepEqual(r.value, v, t.fullName);
  assert.deepEqual(r.reencoded, r.bytes, t.fullName);
}

test('negotiation attributes round-trip', () => {
  assertRoundTrip(RequestProtoCapsAttr, { flags: PTS_CAP.V | PTS_CAP.D | PTS_CAP.T });
  assertRoundTrip(ProtoCapsAttr, { flags: PTS_CAP.C | PTS_CAP.X });
  assertRoundTrip(MeasAlgoRequestAttr, { algorithms: HASH_ALG.SHA1 | HASH_ALG.SHA256 });
  assertRoundTrip(MeasAlgoSelectionAttr, { algorithm: HASH_ALG.SHA384 });
  assertRoundTrip(DhNonceParamsRequestAttr, { minNonceLength: 17, dhGroups: DH_GROUP.ECP_256 | DH_GROUP.MODP_2048 });
  assertRoundTrip(DhNonceParamsResponseAttr, {
    dhGroup: DH_GROUP.ECP_384,
    hashAlgorithms: HASH_ALG.SHA384,
    responderNonce: bytes(20, 1),
    responderPublicValue: bytes(96, 2),
  });
  assertRoundTrip(DhNonceFinishAttr, {
    hashAlgorithm: HASH_ALG.SHA256,
    initiatorPublicValue: bytes(64, 3),
    initiatorNonce: bytes(20, 4),
  });
  assertRoundTrip(GetTpmVersionInfoAttr, {});
  assertRoundTrip(GetAikAttr, {});
  assertRoundTrip(AikAttr, { bareKey: true, der: bytes(40, 0x30) });
  assertRoundTrip(AikAttr, { bareKey: false, der: bytes(40, 0x30) });
});

test('TPM 2.0 version information parses and is described in the seed wording', () => {
  const raw = encodeTpm2VersionInfo({ locality: 3, revision: 138, year: 2018, manufacturer: Buffer.from('STM ') });
  const v = roundTrip(TpmVersionInfoAttr, { raw }).value;
  assert.equal(v.tpm2?.revision, 138);
  assert.deepEqual(TpmVersionInfoAttr.spec.describe?.(v), [
    'Version Information: TPM 2.0 rev. 1.38 2018 STM  - startup locality: 3',
  ]);
  const tpm12 = roundTrip(TpmVersionInfoAttr, { raw: Buffer.from('0030010200000000', 'hex') }).value;
  assert.equal(tpm12.tpm2, undefined);
});

test('capability and algorithm descriptions use strongSwan wording', () => {
  assert.deepEqual(ProtoCapsAttr.spec.describe?.({ flags: 0x0e }), ['supported PTS protocol capabilities: .VDT.']);
  assert.deepEqual(MeasAlgoSelectionAttr.spec.describe?.({ algorithm: HASH_ALG.SHA256 }), [
    'selected PTS measurement algorithm is HASH_SHA2_256',
  ]);
  assert.deepEqual(MeasAlgoRequestAttr.spec.describe?.({ algorithms: 0xc000 }), [
    'requested PTS measurement algorithms: HASH_SHA2_256 HASH_SHA1',
  ]);
});

const biosEvidence: UntrustedComponentEvidence = {
  validation: SCE_VALIDATION.NONE,
  depth: 0,
  component: { ...ima, qualifier: 0x21 },
  pcr: 4,
  hashAlgorithm: HASH_ALG.SHA256,
  transform: 1,
  measurementTime: TIME,
  measurement: bytes(32, 0xaa),
};

test('Simple Component Evidence round-trips with and without URI and PCR values', () => {
  assertRoundTrip(SimpleComponentEvidenceAttr, biosEvidence);
  assertRoundTrip(SimpleComponentEvidenceAttr, {
    ...biosEvidence,
    component: ima,
    pcr: 10,
    validation: SCE_VALIDATION.PASSED,
    policyUri: 'sha256:/usr/bin/ls',
  });
  assertRoundTrip(SimpleComponentEvidenceAttr, {
    ...biosEvidence,
    pcrChange: { before: bytes(32, 0), after: bytes(32, 1) },
  });
});

test('Simple Component Evidence decode returns views into the message, not copies', () => {
  const msg = Buffer.from(roundTrip(SimpleComponentEvidenceAttr, biosEvidence).bytes);
  const a = decodePaMessage(msg, ALL_CODECS.pa).attributes[0];
  assert.ok(SimpleComponentEvidenceAttr.is(a));
  msg[msg.length - 1] ^= 0xff;
  assert.equal(a.value.measurement[31], 0xaa ^ 0xff, 'the measurement shares memory with the input');
});

test('Simple Component Evidence rejects a wrong measurement type, name family and PCR overrun', () => {
  const ok = roundTrip(SimpleComponentEvidenceAttr, biosEvidence).bytes.subarray(20);
  const badType = Buffer.from(ok);
  badType[12] = 0x81;
  assert.throws(() => decodeValue(SimpleComponentEvidenceAttr, badType), isDecodeError('invalid', 20 + 12));
  const badFamily = Buffer.from(ok);
  badFamily[7] |= 0x40;
  assert.throws(() => decodeValue(SimpleComponentEvidenceAttr, badFamily), isDecodeError('invalid', 20 + 7));
  const withPcr = Buffer.from(ok);
  withPcr[0] |= 0x80;
  withPcr.writeUInt16BE(0xffff, 40);
  assert.throws(() => decodeValue(SimpleComponentEvidenceAttr, withPcr), isDecodeError('overrun', 20 + 40));
  const badHash = Buffer.from(ok);
  badHash.writeUInt16BE(0xc000, 16);
  assert.throws(() => decodeValue(SimpleComponentEvidenceAttr, badHash), isDecodeError('invalid', 20 + 16));
});

const tpm2Final: UntrustedEvidenceFinal = {
  quoteMode: QUOTE_MODE.TPM2,
  compositeHashAlgorithm: HASH_ALG.SHA256,
  pcrCompositeDigest: bytes(32, 5),
  tpm2: {
    qualifiedSigner: bytes(34, 6),
    clockInfo: bytes(17, 7),
    firmwareVersion: bytes(8, 8),
    pcrSelection: Buffer.from('00000001000b03ff0700', 'hex'),
  },
  quoteSignature: bytes(256, 9),
};

test('Simple Evidence Final round-trips in every quote mode', () => {
  assertRoundTrip(SimpleEvidenceFinalAttr, tpm2Final);
  assertRoundTrip(SimpleEvidenceFinalAttr, { ...tpm2Final, evidenceSignature: bytes(64, 1) });
  assertRoundTrip(SimpleEvidenceFinalAttr, { quoteMode: QUOTE_MODE.NONE, compositeHashAlgorithm: 0 });
  for (const quoteMode of [QUOTE_MODE.TPM_QUOTE_INFO, QUOTE_MODE.TPM_QUOTE_INFO2, QUOTE_MODE.TPM_QUOTE_INFO2_CAP_VER]) {
    assertRoundTrip(SimpleEvidenceFinalAttr, {
      quoteMode,
      compositeHashAlgorithm: HASH_ALG.SHA1,
      pcrCompositeDigest: bytes(20, 1),
      quoteSignature: bytes(256, 2),
    });
  }
});

test('Simple Evidence Final rejects undefined quote flags and a wrong clock info size', () => {
  const ok = roundTrip(SimpleEvidenceFinalAttr, tpm2Final).bytes.subarray(20);
  const badMode = Buffer.from(ok);
  badMode[0] = 0x50;
  assert.throws(() => decodeValue(SimpleEvidenceFinalAttr, badMode), isDecodeError('invalid', 20));
  const badClock = Buffer.from(ok);
  const clockAt = 4 + 4 + 32 + 2 + 34;
  badClock.writeUInt16BE(16, clockAt);
  assert.throws(() => decodeValue(SimpleEvidenceFinalAttr, badClock), isDecodeError('invalid', 20 + clockAt));
  assert.throws(() => decodeValue(SimpleEvidenceFinalAttr, ok.subarray(0, ok.length - 1)), isDecodeError('overrun'));
});

test('evidence requests round-trip; an empty or ragged request is rejected', () => {
  assertRoundTrip(RequestComponentEvidenceAttr, {
    components: [
      { flags: 0x10, depth: 0, component: { ...ima, qualifier: 0x21 } },
      { flags: 0x10, depth: 0, component: ima },
    ],
  });
  assertRoundTrip(GenerateAttestationEvidenceAttr, {});
  assert.throws(() => decodeValue(RequestComponentEvidenceAttr, Buffer.alloc(0)), isDecodeError('invalid', 20));
  assert.throws(() => decodeValue(RequestComponentEvidenceAttr, Buffer.alloc(13)), isDecodeError('invalid', 20));
});

test('DH nonce attributes reject unknown groups and a nonce longer than the value', () => {
  const resp = roundTrip(DhNonceParamsResponseAttr, {
    dhGroup: DH_GROUP.ECP_256,
    hashAlgorithms: HASH_ALG.SHA256,
    responderNonce: bytes(20, 1),
    responderPublicValue: bytes(64, 2),
  }).bytes.subarray(20);
  const badGroup = Buffer.from(resp);
  badGroup.writeUInt16BE(0x1800, 4);
  assert.throws(() => decodeValue(DhNonceParamsResponseAttr, badGroup), isDecodeError('invalid', 24));
  const finish = Buffer.from([0, 200, 0x40, 0, 1, 2, 3]);
  assert.throws(() => decodeValue(DhNonceFinishAttr, finish), isDecodeError('overrun', 21));
  assert.deepEqual(DhNonceParamsResponseAttr.spec.describe?.(decodeValue(DhNonceParamsResponseAttr, resp)), [
    'selected PTS DH group is ECP_256',
    'nonce length is 20',
  ]);
});

test('file measurement and metadata attributes round-trip', () => {
  assertRoundTrip(RequestFileMeasurementAttr, { directory: true, requestId: 4, delimiter: 0x2f, path: '/usr/bin' });
  assertRoundTrip(FileMeasurementAttr, {
    requestId: 4,
    hashLength: 32,
    files: [
      { hash: bytes(32, 1), filename: 'ls' },
      { hash: bytes(32, 2), filename: 'cat' },
    ],
  });
  assertRoundTrip(FileMeasurementAttr, { requestId: 4, hashLength: 0, files: [] });
  assertRoundTrip(RequestFileMetadataAttr, { directory: false, delimiter: 0x5c, path: 'C:\\x' });
  assertRoundTrip(UnixFileMetadataAttr, {
    files: [
      { type: 8, size: 1234n, created: 1n, modified: 2n, accessed: 3n, owner: 0n, group: 0n, filename: '/etc/passwd' },
    ],
  });
});

test('file attributes check counts against the entries present and reject bad delimiters', () => {
  const fm = roundTrip(FileMeasurementAttr, {
    requestId: 1,
    hashLength: 20,
    files: [{ hash: bytes(20, 1), filename: 'a' }],
  }).bytes.subarray(20);
  const lying = Buffer.from(fm);
  lying.writeBigUInt64BE(0xffffffffffffffffn, 0);
  assert.throws(() => decodeValue(FileMeasurementAttr, lying), isDecodeError('invalid', 20));
  const req = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 0x41]), Buffer.from('/x')]);
  assert.throws(() => decodeValue(RequestFileMeasurementAttr, req), isDecodeError('invalid', 24));
  const meta = Buffer.alloc(8 + 2);
  meta.writeBigUInt64BE(1n, 0);
  meta.writeUInt16BE(51, 8);
  assert.throws(() => decodeValue(UnixFileMetadataAttr, meta), isDecodeError('invalid', 28));
});

test('PTS error information codecs', () => {
  const infos: PtsErrorInfo[] = [
    { code: 1, supportedHashes: 0xc000 },
    { code: 6, supportedGroups: 0x1000 },
    { code: 7, minNonceLength: 17, maxNonceLength: 255 },
    { code: 11, raw: bytes(4, 0) },
  ];
  for (const info of infos) {
    const w = new Writer();
    encodePtsErrorInfo(w, info);
    assert.deepEqual(decodePtsErrorInfo(info.code, Reader.of(w.finish())), info);
  }
  assert.throws(() => decodePtsErrorInfo(1, Reader.of(Buffer.alloc(5))), isDecodeError('trailing', 4));
});
