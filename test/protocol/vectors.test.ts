import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS, PA_FAMILIES, PB_FAMILIES } from '../../src/protocol/codecs';
import { Reader, Writer } from '../../src/bytes/cursor';
import { hex24, hex32, paSubtypeName } from '../../src/protocol/vendors';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaCodecs } from '../../src/protocol/pa-tnc/registry';
import {
  ACCESS_RECOMMENDATION_NAMES,
  ASSESSMENT_RESULT_NAMES,
  ACCEPT_LANGUAGE,
  batchTypeName,
  decodeBatch,
  encodeBatch,
  encodePbMessage,
  PbAccessRecommendationMsg,
  PbAssessmentResultMsg,
  PbLanguagePreferenceMsg,
  PbMessage,
  PbPaMsg,
  PbCodecs,
} from '../../src/protocol/pb-tnc';

// Golden vectors: strongSwan 5.9.14 captures, described by index.json (see test/data/vectors/README.md).
interface IndexAttribute {
  vendor_id: string;
  type: string;
  name: string;
  noskip: boolean;
  length: number;
}
interface IndexMessage {
  vendor_id: string;
  type: number;
  name: string;
  noskip: boolean;
  length: number;
  pa_message_type?: { vendor_id: string; subtype: string; name: string };
  exclusive?: boolean;
  posture_collector_id?: number;
  posture_validator_id?: number;
  pa_tnc_version?: number;
  pa_tnc_message_id?: string;
  attributes?: IndexAttribute[];
  language_preference?: string;
  assessment_result?: string;
  access_recommendation?: string;
}
interface IndexBatch {
  file: string;
  direction: string;
  length: number;
  pb_batch_type: string;
  sha256: string;
  decoded: { pb_tnc_version: number; director_flag_D: boolean; batch_type_code: number; messages: IndexMessage[] };
}

const VECTORS = join(__dirname, '..', 'data', 'vectors');
const PROFILES = [VECTORS, join(VECTORS, 'profile-B')];
const indexOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { batches: IndexBatch[] };

/** Every PB-TNC message and PA-TNC attribute type index.json names that `codecs` cannot decode. */
function withoutCodec(codecs: { pa: PaCodecs; pb: PbCodecs }): string[] {
  const missing = new Set<string>();
  for (const entry of PROFILES.flatMap((dir) => indexOf(dir).batches))
    for (const m of entry.decoded.messages) {
      if (!codecs.pb.lookup(Number(m.vendor_id), m.type)) missing.add(`PB-TNC ${m.name}`);
      for (const a of m.attributes ?? [])
        if (!codecs.pa.lookup(Number(a.vendor_id), Number(a.type))) missing.add(`PA-TNC ${a.name}`);
    }
  return [...missing].sort();
}

test('every message and attribute type in index.json has a codec in the full codec set', () => {
  assert.deepEqual(withoutCodec(ALL_CODECS), []);
});

test('a codec set without one family fails the check, naming the types of that family in the vectors', () => {
  const without = (name: string) => ({
    pa: new PaCodecs(PA_FAMILIES.filter((f) => f.name !== name)),
    pb: new PbCodecs(PB_FAMILIES.filter((f) => f.name !== name)),
  });
  assert.deepEqual(withoutCodec(without('SWIMA attributes (RFC 8412)')), [
    'PA-TNC IETF/SW Identifier Inventory',
    'PA-TNC IETF/SW Inventory',
    'PA-TNC IETF/SWIMA Request',
  ]);
  // every family the vectors use is needed: dropping any one of them leaves types without a codec
  const used = [...PA_FAMILIES, ...PB_FAMILIES]
    .filter((f) => withoutCodec(without(f.name)).length > 0)
    .map((f) => f.name);
  assert.deepEqual(used, [
    'IETF PA-TNC attributes (RFC 5792)',
    'ITA-HSR attributes',
    'TCG IF-M Segmentation attributes',
    'TCG PTS attributes',
    'SWIMA attributes (RFC 8412)',
    'IETF PB-TNC messages (RFC 5793)',
  ]);
});

function messageLength(m: PbMessage): number {
  const w = new Writer();
  encodePbMessage(w, m);
  return w.length;
}

/** Attribute headers read straight off the bytes (RFC 5792 4.2), independent of any codec. */
function attributeHeaders(body: Buffer): { flags: number; vendor: number; type: number; length: number }[] {
  const r = new Reader(body);
  r.skip(8, 'PA-TNC header');
  const out = [];
  while (!r.atEnd) {
    const flags = r.u8('flags');
    const vendor = r.u24('vendor');
    const type = r.u32('type');
    const length = r.u32('length');
    r.skip(length - 12, 'value');
    out.push({ flags, vendor, type, length });
  }
  return out;
}

function checkAttributes(body: Buffer, want: IndexAttribute[], where: string): void {
  const got = attributeHeaders(body);
  assert.equal(got.length, want.length, `${where}: attribute count`);
  got.forEach((a, i) => {
    const w = want[i];
    const at = `${where} attribute #${i + 1} ${w.name}`;
    assert.deepEqual(
      [hex24(a.vendor), hex32(a.type), (a.flags & 0x80) !== 0, a.length],
      [w.vendor_id, w.type, w.noskip, w.length],
      at,
    );
    assert.equal(ALL_CODECS.pa.name(a.vendor, a.type), w.name, at);
  });
}

/** decodePaMessage + encodePaMessage must give the same bytes, every attribute through its codec. */
function roundTripPa(body: Buffer, base: number, where: string): void {
  const decoded = decodePaMessage(body, ALL_CODECS.pa, { base });
  const raw = decoded.attributes.filter((a) => !a.spec).map((a) => ALL_CODECS.pa.name(a.vendor, a.type));
  assert.deepEqual(raw, [], `${where}: attributes kept raw`);
  assert.deepEqual(encodePaMessage(decoded), body, `${where}: PA-TNC message re-encodes byte for byte`);
}

function checkMessage(m: PbMessage, want: IndexMessage, batchBytes: Buffer, where: string): void {
  assert.deepEqual(
    [m.spec?.name, hex24(m.vendor), m.type, m.noskip, messageLength(m)],
    [want.name, want.vendor_id, want.type, want.noskip, want.length],
    where,
  );
  if (PbPaMsg.is(m)) {
    const v = m.value;
    const t = want.pa_message_type!;
    assert.deepEqual(
      [hex24(v.paVendor), hex32(v.paSubtype), paSubtypeName(v.paVendor, v.paSubtype)],
      [t.vendor_id, t.subtype, t.name],
      where,
    );
    assert.deepEqual(
      [v.exclusive, v.collectorId, v.validatorId],
      [want.exclusive, want.posture_collector_id, want.posture_validator_id],
      where,
    );
    assert.deepEqual([v.body[0], hex32(v.body.readUInt32BE(4))], [want.pa_tnc_version, want.pa_tnc_message_id], where);
    checkAttributes(v.body, want.attributes!, where);
    roundTripPa(v.body, v.body.byteOffset - batchBytes.byteOffset, where);
  } else if (PbLanguagePreferenceMsg.is(m)) {
    assert.equal(ACCEPT_LANGUAGE + m.value, want.language_preference, where);
  } else if (PbAssessmentResultMsg.is(m)) {
    assert.equal(ASSESSMENT_RESULT_NAMES[m.value], want.assessment_result, where);
  } else if (PbAccessRecommendationMsg.is(m)) {
    assert.equal(ACCESS_RECOMMENDATION_NAMES[m.value], want.access_recommendation, where);
  } else {
    assert.fail(`${where}: the vectors hold no ${want.name} message; extend this test`);
  }
}

for (const dir of PROFILES) {
  const index = indexOf(dir);
  const profile = dir === VECTORS ? 'A' : 'B';
  test(`profile ${profile}: index.json lists all 11 batches`, () => assert.equal(index.batches.length, 11));
  for (const entry of index.batches) {
    test(`profile ${profile} ${entry.file}: decodes as index.json says and re-encodes byte for byte`, () => {
      const bytes = readFileSync(join(dir, entry.file));
      assert.equal(
        createHash('sha256').update(bytes).digest('hex'),
        entry.sha256,
        'the vector file is the one indexed',
      );
      const sender = entry.direction === 'client->server' ? 'client' : 'server';
      const batch = decodeBatch(bytes, ALL_CODECS.pb, { sender });
      const d = entry.decoded;
      assert.deepEqual(
        [bytes[0], batchTypeName(batch.type), batch.type, batch.fromServer, bytes.length],
        [d.pb_tnc_version, entry.pb_batch_type, d.batch_type_code, d.director_flag_D, entry.length],
      );
      assert.equal(batch.ignored.length, 0);
      assert.equal(batch.messages.length, d.messages.length, 'message count');
      batch.messages.forEach((m, i) => checkMessage(m, d.messages[i], bytes, `${entry.file} message #${i + 1}`));
      assert.deepEqual(encodeBatch(batch), bytes);
    });
  }
}
