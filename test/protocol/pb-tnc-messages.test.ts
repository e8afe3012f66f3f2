import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { VENDOR } from '../../src/protocol/vendors';
import {
  decodeBatch,
  encodeBatch,
  MUTUAL_HALF_DUPLEX,
  PB_BATCH,
  PbAccessRecommendationMsg,
  PbAssessmentResultMsg,
  PbBatchType,
  PbErrorMsg,
  PbExperimentalMsg,
  PbLanguagePreferenceMsg,
  PbMessage,
  PbMutualCapabilityMsg,
  PbNoskipTestMsg,
  PbPaMsg,
  PbPdpReferralMsg,
  PbReasonStringMsg,
  PbRemediationParametersMsg,
} from '../../src/protocol/pb-tnc';

// One round trip per message type (RFC 5793 4.3-4.11, TCG PB-PDP-Referral, ITA-HSR messages): encode in
// a batch, decode it back, compare values and the bytes of a second encoding.
function roundTrip(type: PbBatchType, m: PbMessage, expectedHex?: string): PbMessage {
  const bytes = encodeBatch({ type, fromServer: type !== PB_BATCH.CDATA, messages: [m] });
  if (expectedHex !== undefined) assert.equal(bytes.subarray(8).toString('hex'), expectedHex);
  const batch = decodeBatch(bytes, ALL_CODECS.pb, { sender: type === PB_BATCH.CDATA ? 'client' : 'server' });
  assert.equal(batch.messages.length, 1);
  const back = batch.messages[0];
  assert.equal(back.spec, m.spec);
  assert.equal(back.noskip, m.noskip);
  assert.deepEqual(back.value, m.value);
  assert.deepEqual(encodeBatch(batch), bytes);
  return back;
}

test('PB-PA keeps flags, IDs and the PA-TNC body', () => {
  const body = Buffer.from('0100000012345678', 'hex');
  const m = PbPaMsg.make({
    exclusive: true,
    paVendor: VENDOR.TCG,
    paSubtype: 1,
    collectorId: 3,
    validatorId: 0xffff,
    body,
  });
  roundTrip(
    PB_BATCH.CDATA,
    m,
    '80000000' + '00000001' + '00000020' + '80005597' + '00000001' + '0003ffff' + body.toString('hex'),
  );
});

test('PB-Assessment-Result and PB-Access-Recommendation', () => {
  roundTrip(PB_BATCH.RESULT, PbAssessmentResultMsg.make(4), '80000000000000020000001000000004');
  roundTrip(PB_BATCH.RESULT, PbAccessRecommendationMsg.make(3), '00000000000000030000001000000003');
});

test('PB-Remediation-Parameters: URI, String and a vendor type', () => {
  roundTrip(PB_BATCH.RESULT, PbRemediationParametersMsg.make({ kind: 'uri', uri: 'https://fix.example/' }));
  roundTrip(
    PB_BATCH.RESULT,
    PbRemediationParametersMsg.make({ kind: 'string', text: 'Bitte aktualisieren', language: 'de' }),
  );
  roundTrip(
    PB_BATCH.RESULT,
    PbRemediationParametersMsg.make({ kind: 'raw', vendor: VENDOR.ITA, type: 7, raw: Buffer.from([1, 2]) }),
  );
});

test('PB-Error: offset form, version form, vendor form', () => {
  roundTrip(
    PB_BATCH.CLOSE,
    PbErrorMsg.make({ fatal: true, vendor: 0, code: 1, params: { offset: 4 } }),
    '800000000000000500000018' + '800000000001000000000004',
  );
  roundTrip(
    PB_BATCH.CLOSE,
    PbErrorMsg.make({ fatal: true, vendor: 0, code: 4, params: { badVersion: 3, maxVersion: 2, minVersion: 2 } }),
  );
  roundTrip(
    PB_BATCH.CLOSE,
    PbErrorMsg.make({ fatal: true, vendor: 0, code: 2, params: { raw: Buffer.alloc(0) } }),
    '800000000000000500000014800000000002' + '0000',
  );
  roundTrip(
    PB_BATCH.SDATA,
    PbErrorMsg.make({ fatal: false, vendor: VENDOR.ITA, code: 9, params: { raw: Buffer.from('abcdef', 'hex') } }),
  );
});

test('PB-Language-Preference: with a list and empty', () => {
  roundTrip(PB_BATCH.CDATA, PbLanguagePreferenceMsg.make('en, de;q=0.5'));
  roundTrip(PB_BATCH.CDATA, PbLanguagePreferenceMsg.make(''), '00000000000000060000000c');
});

test('PB-Reason-String', () => {
  roundTrip(PB_BATCH.RESULT, PbReasonStringMsg.make({ text: 'IMA: 3 files differ', language: 'en' }));
});

test('PB-Experimental without NOSKIP', () => {
  roundTrip(PB_BATCH.SDATA, PbExperimentalMsg.make(Buffer.from('hello')));
});

test('TCG PB-PDP-Referral: FQDN, IPv4, IPv6', () => {
  roundTrip(PB_BATCH.SDATA, PbPdpReferralMsg.make({ kind: 'fqdn', protocol: 0, port: 271, fqdn: 'pdp.example.org' }));
  roundTrip(
    PB_BATCH.SDATA,
    PbPdpReferralMsg.make({ kind: 'ipv4', protocol: 0, port: 271, address: Buffer.from([192, 0, 2, 1]) }),
  );
  roundTrip(
    PB_BATCH.SDATA,
    PbPdpReferralMsg.make({ kind: 'ipv6', protocol: 0, port: 271, address: Buffer.alloc(16, 0xfe) }),
  );
});

test('ITA-HSR PB-Noskip-Test and PB-Mutual-Capability', () => {
  roundTrip(PB_BATCH.CDATA, PbNoskipTestMsg.make(null), '8000902a000000000000000c');
  roundTrip(PB_BATCH.CDATA, PbMutualCapabilityMsg.make(MUTUAL_HALF_DUPLEX), '0000902a000000010000001080000000');
});
