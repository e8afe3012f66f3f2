import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `tnc-agent --version` as a real process: the version line, answered before the command line parser loads.
const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
const LINE = `tnc-agent ${pkg.version} (Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl})`;

// --require'd by the agent: says on stderr whether commander was loaded by the time it exits
const dir = mkdtempSync(join(tmpdir(), 'tnc-version-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hook = join(dir, 'loaded.cjs');
writeFileSync(
  hook,
  "process.on('exit', () => Object.keys(require.cache).some((f) => /node_modules.commander/.test(f)) && process.stderr.write('COMMANDER'));",
);

/** Runs the agent with `args`; `loaded` is true when commander was among the modules it loaded. */
function run(...args: string[]): { status: number | null; out: string; loaded: boolean } {
  const r = spawnSync(process.execPath, ['--require', hook, bin, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, loaded: r.stderr.includes('COMMANDER') };
}

test('--version and -V print the version line with the runtime, without loading the parser', () => {
  for (const flag of ['--version', '-V']) {
    const r = run(flag);
    assert.equal(r.status, 0);
    assert.equal(r.out, `${LINE}\n`);
    assert.equal(r.loaded, false, `${flag} loaded commander`);
  }
});

test('--version with anything else goes through the parser as before', () => {
  const r = run('--version', 'attest');
  assert.equal(r.status, 0);
  assert.equal(r.out, `${LINE}\n`);
  assert.equal(r.loaded, true);
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.out, /^Usage: tnc-agent \[options\] \[command\]/);
  assert.match(help.out, /-V, --version\s+print the agent's version/);
});
