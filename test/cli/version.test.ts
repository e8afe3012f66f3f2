import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadedModules } from '../helpers/loaded-modules';

// `tnc-agent --version` as a real process: the version line, answered before the command line parser loads.
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
const LINE = `tnc-agent ${pkg.version} (Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl})`;
const commander = (modules: string[]) => modules.some((f) => /node_modules.commander/.test(f));

test('--version and -V print the version line with the runtime, without loading the parser', () => {
  for (const flag of ['--version', '-V']) {
    const r = loadedModules(flag);
    assert.equal(r.status, 0);
    assert.equal(r.out, `${LINE}\n`);
    assert.equal(commander(r.modules), false, `${flag} loaded commander`);
  }
});

test('--version with anything else goes through the parser as before', () => {
  const r = loadedModules('--version', 'attest');
  assert.equal(r.status, 0);
  assert.equal(r.out, `${LINE}\n`);
  assert.equal(commander(r.modules), true);
  const help = loadedModules('--help');
  assert.equal(help.status, 0);
  assert.match(help.out, /^Usage: tnc-agent \[options\] \[command\]/);
  assert.match(help.out, /-V, --version\s+print the agent's version/);
});
