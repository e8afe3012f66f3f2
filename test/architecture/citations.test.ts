import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Comments cite an RFC or TCG section, another project's source file, or a file in this repository;
// never a document outside it (the team's working notes are not shipped with the code).
const repo = join(__dirname, '..', '..');
const notes = ['protocols', 'design', 'performance', 'strongswan-notes', 'strongswan-tnc-plugins'];
// built from parts so that this file does not cite them itself
const script = ['verify', 'samples'].join('-');
const folder = ['shared', 'docs'].join('/');
const OUTSIDE = new RegExp(`\\b(?:${notes.join('|')})\\.md\\b|\\b${script}\\b|${folder}/`);

/** Each line of `text` that cites a document outside the repository, as `name:line: text`. */
function outsideCitations(name: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => (OUTSIDE.test(line) ? [`${name}:${i + 1}: ${line.trim()}`] : []));
}

const SCANNED = ['src', 'test', 'bench', 'scripts', 'native', 'packaging', 'docs', '.ci'];
/** Test data keeps its provenance (where a fixture was copied from), which is not a citation. */
const SKIPPED = new Set(['test/data', 'node_modules']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (SKIPPED.has(relative(repo, path))) return [];
    return e.isDirectory() ? files(path) : [path];
  });
}

test('no file of the repository cites a document that is not in it', () => {
  const scanned = [...SCANNED.flatMap((d) => files(join(repo, d))), join(repo, 'README.md')];
  assert.ok(scanned.length > 300, `only ${scanned.length} files scanned`);
  const found = scanned.flatMap((f) => outsideCitations(relative(repo, f), readFileSync(f, 'latin1')));
  assert.deepEqual(found, []);
});

test('the scan catches each kind of citation and passes RFC, TCG and repository ones', () => {
  const text = [
    `// ${notes[0]}.md 9.4: merge order`,
    ` * see ${notes[3]}.md`,
    `-- ${notes[2]}.md: strongSwan scans`,
    `// the check of ${script}.js`,
    `The map in \`${folder}/${notes[1]}.md\``,
    '// RFC 5793 4.2: batch length includes the header',
    "// PTS 3.15.2; strongSwan's tpm_tss_tss2_v2.c; src/policy/schema.ts",
  ].join('\n');
  assert.deepEqual(
    outsideCitations('x.ts', text).map((l) => l.split(':').slice(0, 2).join(':')),
    ['x.ts:1', 'x.ts:2', 'x.ts:3', 'x.ts:4', 'x.ts:5'],
  );
});
