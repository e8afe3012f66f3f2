import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError, loadConfig, parseIni } from '../../src/daemon/config';
import { formatDuration, OPTIONS } from '../../src/daemon/options';

const dir = mkdtempSync(join(tmpdir(), 'tnc-conf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('defaults: no server (idle), hourly, 10s..15m backoff, text logs, attestation off', () => {
  const c = buildConfig();
  assert.equal(c.server.address, undefined);
  assert.deepEqual(c.schedule, {
    onStart: true,
    intervalMs: 3_600_000,
    retryMinMs: 10_000,
    retryMaxMs: 900_000,
    onPackageChange: true,
    settleMs: 5000,
  });
  assert.deepEqual(c.log, { level: 1, format: 'text' });
  assert.equal(c.control.socket, '/run/tnc-agent/control.sock');
  assert.equal(c.attestation.akHandle, 0x81010003);
  assert.equal(c.attestation.enabled, false);
});

test('agent.conf then conf.d/*.conf in name order, key by key', async () => {
  const file = join(dir, 'agent.conf');
  writeFileSync(file, '# main\n[server]\naddress = tnc.example.org\nca = /x/ca.pem\n\n[schedule]\ninterval = 30m\n');
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', '20-b.conf'), '[server]\naddress = [fd00::1]:2710\n');
  writeFileSync(join(dir, 'conf.d', '10-a.conf'), '; site\n[server]\naddress = other:1\n[log]\nformat = json\n');
  writeFileSync(join(dir, 'conf.d', 'ignored.txt'), 'not ini at all');
  const c = await loadConfig(file);
  assert.deepEqual(c.server.address, { host: 'fd00::1', port: 2710 });
  assert.equal(c.server.ca, '/x/ca.pem');
  assert.equal(c.schedule.intervalMs, 1_800_000);
  assert.equal(c.log.format, 'json');
  assert.deepEqual(c.files, [file, join(dir, 'conf.d', '10-a.conf'), join(dir, 'conf.d', '20-b.conf')]);
});

test('mistakes are errors naming file and line, never silent defaults', async () => {
  const cases: [string, RegExp][] = [
    ['[sever]\n', /f\.conf:1: unknown section \[sever\]/],
    ['[server]\nadress = x\n', /f\.conf:2: unknown option 'adress' in \[server\]/],
    ['address = x\n', /outside any \[section\]/],
    ['[schedule]\ninterval = 5\n', /f\.conf:2: \[schedule\] interval = '5' is not a duration/],
    [
      '[schedule]\ninterval = 999999999d\n',
      /f\.conf:2: \[schedule\] interval = '999999999d' is not a duration of at most 365d/,
    ],
    ['[schedule]\non-start = maybe\n', /not yes or no/],
    ['[attestation]\nak-handle = 0x01000000\n', /persistent handle/],
    ['[server]\naddress = host:99999\n', /f\.conf:2: \[server\] address = 'host:99999' is not HOST\[:PORT\]/],
    ['[log]\nlevel = 9\n', /log level/],
    ['[server]\njust words\n', /expected "key = value"/],
  ];
  for (const [text, re] of cases)
    assert.throws(
      () => parseIni(text, 'f.conf'),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      text,
    );
  await assert.rejects(loadConfig(join(dir, 'missing.conf')), /missing\.conf: cannot read: ENOENT/);
  assert.throws(
    () => buildConfig(parseIni('[schedule]\nretry-min = 1m\nretry-max = 10s\n', 'g.conf')),
    (e: Error) =>
      e.message === 'g.conf:3: [schedule] retry-min (1m, g.conf:2) is longer than [schedule] retry-max (10s, g.conf:3)',
  );
});

test('an empty value unsets an option; durations print back in file syntax', () => {
  const c = buildConfig(parseIni('[control]\nsocket =\n[schedule]\ninterval = 0\n', 'f'));
  assert.equal(c.control.socket, undefined);
  assert.equal(c.schedule.intervalMs, 0);
  assert.deepEqual(
    [formatDuration(250), formatDuration(90_000), formatDuration(86_400_000 + 3_600_000)],
    ['250ms', '1m30s', '1d1h'],
  );
});

test('docs/configuration.md documents every option in its section', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  for (const o of OPTIONS) {
    const section = doc.split(`### [${o.section}]`)[1]?.split('\n### ')[0];
    assert.ok(section, `docs lack a "### [${o.section}]" section`);
    assert.ok(section.includes(`| \`${o.key}\` |`), `docs lack [${o.section}] ${o.key}`);
  }
});
