import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentEvidence } from '../../src/imcs/attestation/component-evidence';
import { IMA_COMPONENT } from '../../src/imcs/attestation/evidence';
import { Logger, MemorySink } from '../../src/log';
import {
  COMP_EVID_FLAG,
  HASH_ALG,
  PTS_CAP,
  SimpleComponentEvidenceAttr,
  type UntrustedComponentEvidence,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { ImaTemplateDataAttr } from '../../src/protocol/pa-tnc/tnc-agent';
import { FIXTURES } from '../measurements/_fixtures';

// The IMC reads the per-bank list of the quote's bank when the kernel exports one, else the SHA-1
// list; both give the same evidence (test/data/fixtures/ima/per-bank is derived from the OVMF guest).
const GUEST = join(FIXTURES, 'vm', 'ovmf');
const work = mkdtempSync(join(tmpdir(), 'imc-per-bank-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function evidence(
  dir: string,
  algorithm: number,
): Promise<{ sce: UntrustedComponentEvidence[]; templates: number; lines: string[] }> {
  const sink = new MemorySink();
  const log = new Logger(1, 'text', sink);
  const lines = sink.lines;
  const ce = new ComponentEvidence({
    bootEventLog: join(dir, 'none'),
    imaList: join(dir, 'binary_runtime_measurements'),
    symlinkRoot: dir,
  });
  const state = { conn: { log }, caps: PTS_CAP.T | PTS_CAP.V, algorithm, templateData: true } as unknown as Parameters<
    ComponentEvidence['answer']
  >[0];
  const attrs = [
    ...(await ce.answer(
      state,
      { components: [{ flags: COMP_EVID_FLAG.P, depth: 0, component: IMA_COMPONENT }] },
      Buffer.alloc(0),
    )),
  ];
  const sce = attrs.filter(SimpleComponentEvidenceAttr.is.bind(SimpleComponentEvidenceAttr)).map((a) => a.value);
  return { sce, templates: attrs.filter(ImaTemplateDataAttr.is.bind(ImaTemplateDataAttr)).length, lines };
}

test('per-bank IMA list: the IMC uses binary_runtime_measurements_<bank> when present, with the same measurements as the SHA-1 list', async () => {
  const classic = join(work, 'classic');
  const perBank = join(work, 'per-bank');
  for (const d of [classic, perBank]) {
    mkdirSync(d);
    copyFileSync(join(GUEST, 'binary_runtime_measurements'), join(d, 'binary_runtime_measurements'));
  }
  for (const bank of ['sha256', 'sha384'])
    copyFileSync(
      join(FIXTURES, 'ima', 'per-bank', `binary_runtime_measurements_${bank}`),
      join(perBank, `binary_runtime_measurements_${bank}`),
    );
  for (const alg of [HASH_ALG.SHA256, HASH_ALG.SHA384]) {
    const a = await evidence(classic, alg);
    const b = await evidence(perBank, alg);
    assert.equal(a.sce.length, 139);
    assert.equal(b.templates, 139);
    assert.deepEqual(
      b.sce.map((e) => e.measurement),
      a.sce.map((e) => e.measurement),
    );
    assert.ok(
      b.lines.some((l) => / from the sha(256|384) list/.test(l)),
      b.lines.join('\n'),
    );
    assert.ok(!a.lines.some((l) => / from the sha(256|384) list/.test(l)));
  }
});

test('a list read mid-write: the IMC sends the complete entries and logs the unfinished tail', async () => {
  const d = join(work, 'tail');
  mkdirSync(d);
  const list = readFileSync(join(GUEST, 'binary_runtime_measurements'));
  writeFileSync(join(d, 'binary_runtime_measurements'), Buffer.concat([list, list.subarray(0, 30)]));
  const r = await evidence(d, HASH_ALG.SHA256);
  assert.equal(r.sce.length, 139);
  assert.ok(
    r.lines.some((l) => l.includes(`ends with 30 bytes of an unfinished entry at offset ${list.length}: not sent`)),
    r.lines.join('\n'),
  );
});
