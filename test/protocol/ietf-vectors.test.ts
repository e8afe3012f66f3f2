import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { decodeBatch, PbPa, PbPaMsg } from '../../src/protocol/pb-tnc';
import * as ietf from '../../src/protocol/pa-tnc/ietf';
import * as ita from '../../src/protocol/pa-tnc/ita';
import { ContractRequestAttr, ContractResponseAttr } from '../../src/protocol/pa-tnc/tcg/seg';

// Real bytes: strongSwan 5.9.14 captures (test/data/vectors/README.md).
const VECTORS = join(__dirname, '..', 'data', 'vectors');

/** Every attribute of every PA-TNC message in one captured batch. */
function attributes(file: string): PaAttribute[] {
  const batch = decodeBatch(readFileSync(join(VECTORS, file)), ALL_CODECS.pb);
  const bodies = batch.messages.filter((m) => PbPaMsg.is(m)).map((m) => (m.value as PbPa).body);
  return bodies.flatMap((b) => {
    const m = decodePaMessage(b, ALL_CODECS.pa);
    assert.deepEqual(encodePaMessage(m), b, 'the PA-TNC message re-encodes to the captured bytes');
    return m.attributes;
  });
}

const find = <V>(attrs: PaAttribute[], t: { is(a: PaAttribute): a is PaAttribute<V> }): V => {
  const a = attrs.find((x) => t.is(x));
  assert.ok(a, 'attribute present in the capture');
  return a.value as V;
};

test('first CDATA: the OS attributes strongSwan imc-os sends', () => {
  const attrs = attributes('01-client_to_server-CDATA.bin');
  assert.deepEqual(find(attrs, ietf.ProductInformationAttr), { vendor: 0x2572, productId: 0, name: 'Debian' });
  assert.deepEqual(find(attrs, ietf.StringVersionAttr), { version: '12 x86_64', build: '', config: '' });
  assert.deepEqual(find(attrs, ietf.NumericVersionAttr), {
    major: 12,
    minor: 0,
    build: 0,
    servicePackMajor: 0,
    servicePackMinor: 0,
  });
  const op = find(attrs, ietf.OperationalStatusAttr);
  assert.deepEqual([op.status, op.result], ['operational', 'successful']);
  assert.equal(find(attrs, ietf.ForwardingEnabledAttr), 'disabled');
  assert.equal(find(attrs, ietf.FactoryDefaultPasswordAttr), false);
  assert.equal(find(attrs, ita.DeviceIdAttr), 'af61115643f343bb6d36373db32c73a70ddb277b');
  assert.deepEqual(find(attrs, ContractRequestAttr), { maxMessageSize: 0xffffffff, maxSegmentSize: 2097080 });
});

test('server asks for Installed Packages; client answers with a SWIMA PA-TNC Error', () => {
  assert.deepEqual(find(attributes('02-server_to_client-SDATA.bin'), ietf.AttributeRequestAttr), [
    { vendor: 0, type: 7 },
  ]);
  const attrs = attributes('03-client_to_server-CDATA.bin');
  const e = find(attrs, ietf.PaTncErrorAttr);
  assert.equal(e.code, ietf.IETF_ERROR.SWIMA_ERROR);
  assert.ok(e.info.kind === 'swima' && e.info.description.startsWith('failed to collect SW ID events'));
  assert.ok(find(attrs, ContractResponseAttr).maxSegmentSize > 0);
  assert.ok(find(attrs, ietf.InstalledPackagesAttr).some((p) => p.name === 'libgpg-error0' && p.version === '1.46-1'));
});

test('Get Symlinks and Symlinks from the attestation exchange', () => {
  assert.equal(find(attributes('08-server_to_client-SDATA.bin'), ita.GetSymlinksAttr), '/');
  const links = find(attributes('09-client_to_server-CDATA.bin'), ita.SymlinksAttr);
  assert.ok(links.some((l) => l.symlink === '/sbin' && l.target === '/usr/sbin'));
});

test('RESULT carries the assessment', () => {
  assert.equal(find(attributes('10-server_to_client-RESULT.bin'), ietf.AssessmentResultAttr), 'compliant');
});
