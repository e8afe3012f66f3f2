import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Logger, MemorySink } from '../../src/log';
import { evaluatePackages } from '../../src/imvs/os/packages';
import { PackageSourceError, parseAptPackagesIndex, parsePackageList } from '../../src/policy/package-sources';
import { PackageStore } from '../../src/policy/packages';
import { PolicyStore } from '../../src/policy/store';
import { ENGINES } from '../helpers/engines';
import { Evaluation } from '../../src/tnccs/types';

const ROOT = join(__dirname, '..', '..');
const INDEX = join(ROOT, 'test', 'data', 'fixtures', 'apt', 'bookworm-security-Packages');
const PRODUCT = 'Debian 12 x86_64';
const dir = mkdtempSync(join(tmpdir(), 'tnc-packages-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("an apt Packages index gives each paragraph's Package and Version; multi-line fields are skipped", () => {
  assert.deepEqual(parseAptPackagesIndex(readFileSync(INDEX, 'utf8')), [
    { name: 'libssl3', version: '3.0.23-1~deb12u1' },
    { name: 'openssl', version: '3.0.23-1~deb12u1' },
    { name: 'tzdata', version: '2025b-0+deb12u1' },
    { name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
    { name: 'nginx', version: '1.22.1-9+deb12u2' },
  ]);
  assert.deepEqual(
    parseAptPackagesIndex('package: a1\r\nVERSION: 1.0\r\n'),
    [{ name: 'a1', version: '1.0' }],
    'field names are case-insensitive; CRLF',
  );
});

test('a broken index or list names the line and what is wrong', () => {
  for (const [text, re] of [
    ['Package: a1\nVersion: 1.0\n\nPackage: b2\nArchitecture: all\n', /^line 4: paragraph without Version field$/],
    ['Version: 1.0\n', /^line 1: paragraph without Package field$/],
    ['Package: a1\nVersion: x1.0\n', /^line 1: package a1: upstream version 'x1\.0'/],
    ['Package: A_B\nVersion: 1.0\n', /^line 1: 'A_B' is not a Debian package name$/],
    ['Package: a1\nno colon here\n', /^line 2: not a 'Field: value' line$/],
  ] as const)
    assert.throws(
      () => parseAptPackagesIndex(text),
      (e: unknown) => e instanceof PackageSourceError && re.test(e.message),
      text,
    );
  assert.deepEqual(parsePackageList('# security\nopenssl 3.0.23-1~deb12u1\n\nbash\t5.2.15-2+deb12u1  # comment\n'), [
    { name: 'openssl', version: '3.0.23-1~deb12u1' },
    { name: 'bash', version: '5.2.15-2+deb12u1' },
  ]);
  assert.throws(() => parsePackageList('openssl\n'), /line 1: expected 'NAME VERSION', got 1 words/);
  assert.throws(() => parsePackageList('\nopenssl 1.0 extra\n'), /line 2: expected 'NAME VERSION', got 3 words/);
});

for (const e of ENGINES)
  test(`${e.name}: the store keeps each package's newest security version per product`, { skip: e.skip }, async () => {
    const store = await e.open();
    const db = new PackageStore(store);
    assert.deepEqual(
      await db.importSecurityVersions(PRODUCT, [
        { name: 'openssl', version: '3.0.11-1~deb12u2' },
        { name: 'openssl', version: '3.0.9-1' },
        { name: 'bash', version: '5.2.15-2+deb12u1' },
      ]),
      { added: 2, updated: 0, unchanged: 0 },
    );
    assert.deepEqual(
      await db.importSecurityVersions(PRODUCT, [
        { name: 'openssl', version: '3.0.11-1~deb12u1' },
        { name: 'bash', version: '5.2.15-2+deb12u2' },
      ]),
      { added: 0, updated: 1, unchanged: 1 },
    );
    assert.deepEqual([...(await db.securityVersions(PRODUCT))].sort(), [
      ['bash', '5.2.15-2+deb12u2'],
      ['openssl', '3.0.11-1~deb12u2'],
    ]);
    assert.deepEqual(await db.securityVersions('Ubuntu 22.04 x86_64'), new Map(), 'per product');
    await store.close();
  });

for (const e of ENGINES)
  test(
    `${e.name}: PCKGS evaluation: ok at or above the security version, vulnerable below it or unorderable, unknown without one, blocklisted`,
    { skip: e.skip },
    async () => {
      const store = await e.open();
      await new PackageStore(store).importSecurityVersions(PRODUCT, parseAptPackagesIndex(readFileSync(INDEX, 'utf8')));
      await store.setPackageBlocklisted('telnetd', true);
      const sink = new MemorySink();
      const pkg = (name: string, version: string) => ({ name, version });
      const installed = [
        pkg('openssl', '3.0.22-1~deb12u2'),
        pkg('libssl3', '3.0.23-1'),
        pkg('tzdata', '2025b-0+deb12u1'),
        pkg('zlib1g', 'bogus'),
        pkg('bash', '5.2.15-2+b8'),
        pkg('telnetd', '0.17-44'),
      ];
      const [evaluation, text] = await evaluatePackages(store, PRODUCT, installed, new Logger(1, 'text', sink));
      assert.equal(evaluation, Evaluation.NONCOMPLIANT_MAJOR);
      assert.equal(
        text,
        '2 vulnerable packages: openssl 3.0.22-1~deb12u2 (security update 3.0.23-1~deb12u1), zlib1g bogus (not a Debian version, security update 1:1.2.13.dfsg-1); ' +
          '1 blocklisted packages: telnetd; 6 packages checked: 2 ok, 1 unknown, 2 vulnerable, 1 blocklisted',
      );
      assert.deepEqual(sink.lines, [
        "[IMV] package 'openssl' (3.0.22-1~deb12u2) is vulnerable: security update 3.0.23-1~deb12u1",
        "[IMV] package 'zlib1g' (bogus) is vulnerable: not a Debian version, security update 1:1.2.13.dfsg-1",
        "[IMV] package 'telnetd' (0.17-44) is blocklisted",
      ]);
      assert.deepEqual(await evaluatePackages(store, PRODUCT, installed.slice(1, 3), new Logger(-1)), [
        Evaluation.COMPLIANT,
        '2 packages checked: 2 ok, 0 unknown, 0 vulnerable, 0 blocklisted',
      ]);
      assert.deepEqual(
        await evaluatePackages(store, undefined, installed.slice(0, 1), new Logger(-1)),
        [Evaluation.COMPLIANT, '1 packages checked: 0 ok, 1 unknown, 0 vulnerable, 0 blocklisted'],
        'no product: nothing to judge against',
      );
      const many = Array.from({ length: 25 }, (_, i) => pkg('openssl', `1.0.${i}`));
      assert.match(
        (await evaluatePackages(store, PRODUCT, many, new Logger(-1)))[1],
        /^25 vulnerable packages: (openssl 1\.0\.\d+ \([^)]*\), ){19}openssl 1\.0\.19 \([^)]*\), and 5 more; /,
      );
      await store.close();
    },
  );

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'tnc-agent.js'), 'db', 'import-packages', ...args], {
    encoding: 'utf8',
  });
}

test('db import-packages from an index (plain, gzip or xz) and from a plain list, with counts; bad input exits 2 naming the line', async () => {
  const file = join(dir, 'cli.db');
  const plain = cli('--db', file, '--product', PRODUCT, '--index', INDEX);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(
    plain.stdout.trim(),
    `security versions for product '${PRODUCT}': 5 new, 0 newer, 0 unchanged (5 entries read)`,
  );
  assert.equal(plain.stderr, '[CFG] 5 package versions read\n');
  const gz = join(dir, 'Packages.gz');
  writeFileSync(gz, gzipSync(readFileSync(INDEX)));
  assert.match(cli('--db', file, '--product', PRODUCT, '--index', gz).stdout, /0 new, 0 newer, 5 unchanged/);
  const xz = join(dir, 'Packages.xz');
  writeFileSync(xz, spawnSync('xz', ['-c', INDEX]).stdout);
  assert.match(
    cli('--db', file, '--product', PRODUCT, '--index', xz).stdout,
    /0 new, 0 newer, 5 unchanged \(5 entries read\)/,
  );
  const list = join(dir, 'list');
  writeFileSync(list, 'openssl 3.0.24-1~deb12u1\nbash 5.2.15-2+deb12u1\ntzdata 2024a-0+deb12u1\n');
  assert.match(
    cli('--db', file, '--product', PRODUCT, '--list', list).stdout,
    /1 new, 1 newer, 1 unchanged \(3 entries read\)/,
  );
  const store = await PolicyStore.open(file);
  assert.equal((await new PackageStore(store).securityVersions(PRODUCT)).get('openssl'), '3.0.24-1~deb12u1');
  assert.equal((await new PackageStore(store).securityVersions(PRODUCT)).get('tzdata'), '2025b-0+deb12u1');
  await store.close();
  writeFileSync(list, 'openssl 3.0.24-1~deb12u1\nbash :5\n');
  const bad = cli('--db', file, '--product', PRODUCT, '--list', list);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /list: line 2: package bash: epoch '' of ':5' is not an unsigned integer/);
  assert.equal(cli('--db', file, '--product', PRODUCT).status, 2, 'neither --index nor --list');
  assert.match(cli('--db', file, '--product', PRODUCT, '--index', join(dir, 'nope')).stderr, /nope: no such file/);
});
