import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cycles, importEdges, layerViolations, reachableFrom, readLayers, topLevelParts, type Edge } from './layers';

// The layers of src/ as docs/architecture.md draws them: imports point down only.
const repo = join(__dirname, '..', '..');
const layers = readLayers(readFileSync(join(repo, 'docs/architecture.md'), 'utf8'));
const edges = importEdges(repo);

test('docs/architecture.md places every part of src/ in one layer, and names none that is gone', () => {
  const named = layers.flat();
  const parts = topLevelParts(join(repo, 'src'));
  assert.deepEqual([...named].sort(), [...new Set(named)].sort(), 'a part named in two layers');
  assert.deepEqual([...named].sort(), [...parts].sort());
});

test('every import between parts of src/ points down the layers', () => {
  assert.ok(edges.length > 100, `only ${edges.length} imports between parts found: the parser missed them`);
  assert.deepEqual(layerViolations(edges, layers), []);
});

test('no import cycle between the top-level parts of src/', () => {
  assert.deepEqual(cycles(edges), []);
});

const edge = (from: string, to: string): Edge => ({ from, to, file: `src/${from}/x.ts` });

test('the checks catch an edge up, one sideways, one into an unmapped folder, and a cycle', () => {
  const bad = [edge('daemon', 'cli'), edge('imcs', 'imvs'), edge('agent', 'nowhere'), edge('agent', 'imcs')];
  assert.deepEqual(layerViolations(bad, layers), [
    'src/daemon/x.ts: daemon -> cli points up',
    'src/imcs/x.ts: imcs -> imvs points sideways',
    'src/agent/x.ts: agent -> nowhere: nowhere is in no layer',
  ]);
  const loop = [edge('cli', 'daemon'), edge('daemon', 'agent'), edge('agent', 'cli'), edge('imcs', 'tnccs')];
  assert.deepEqual(cycles(loop), [['agent', 'cli', 'daemon']]);
});

test('the parser sees static, type-only, re-export and dynamic imports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-layers-'));
  try {
    mkdirSync(join(dir, 'src/top'), { recursive: true });
    const lines = [
      "import { a } from '../one/a';",
      "import type { B } from '../two';",
      "export { c } from '../three/c';",
      "const d = () => import('../four/d');",
      "import { e } from './same';",
      "import { f } from 'node:fs';",
    ];
    writeFileSync(join(dir, 'src/top/x.ts'), lines.join('\n'));
    const found = importEdges(dir).map((e) => `${e.file}: ${e.from} -> ${e.to}`);
    assert.deepEqual(
      found,
      ['one', 'two', 'three', 'four'].map((t) => `src/top/x.ts: top -> ${t}`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the daemon loads neither the command line nor the lab tools (lab evidence mode is the CLI's)", () => {
  const src = join(repo, 'src');
  const parts = new Set([...reachableFrom(src, join(src, 'daemon'))].map((f) => f.slice(src.length + 1).split('/')[0]));
  assert.ok(parts.has('agent') && parts.has('imcs'), `the daemon reaches ${[...parts].join(', ')}`);
  assert.deepEqual(
    [...parts].filter((p) => p === 'cli' || p === 'lab'),
    [],
  );
  // while the command line does reach the lab tools: the check can see them
  const cli = [...reachableFrom(src, join(src, 'cli'))].map((f) => f.slice(src.length + 1).split('/')[0]);
  assert.ok(cli.includes('lab'));
});
