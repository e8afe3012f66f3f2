import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Logger, MemorySink, silentLogger } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { openDashboard } from '../../src/cli/commands/dashboard';
import type { Dashboard } from '../../src/dashboard/serve';
import { AttestationImc, akDeviceId } from '../../src/imcs/attestation';
import { SwCollector } from '../../src/imcs/swima/collector';
import { SwimaImc } from '../../src/imcs/swima/swima-imc';
import { SwimaStore } from '../../src/imcs/swima/store';
import { extendLabEvidence } from '../../src/lab';
import { decodeImaBinary, decodeImaFields } from '../../src/measurements/ima';
import { AttestationStore } from '../../src/policy/attestation';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';
import { Tpm } from '../../src/tpm/tpm';
import { labPki } from '../helpers/pki';
import { hostTree } from '../helpers/host-tree';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { addPackage, DEBIAN_12, dpkgTree, removePackage, setVersion } from '../swima/fixture';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// The lab dashboard in a real headless Chromium (Debian's package, driven by playwright-core; nothing
// is downloaded): a good handshake (allow), then one whose IMA list names a file whose reference hash
// differs (isolate) while the endpoint's dpkg gained a package with a hostile name. Screenshots go to
// artifacts/dashboard/.
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'artifacts', 'dashboard');
const LAB = join(__dirname, '..', 'data', 'fixtures', 'vm', 'seabios');
const HOSTILE = '<img src=x onerror=alert(1)>';
const dir = mkdtempSync(join(tmpdir(), 'tnc-e2e-dash-'));
const labFiles = () =>
  decodeImaBinary(readFileSync(join(LAB, 'binary_runtime_measurements')))
    .slice(1)
    .map((e) => decodeImaFields(e));
const victim = labFiles()[2].path;

let sw: Swtpm;
let tpm: Tpm;
let server: LabServer;
let dashboard: Dashboard;
let browser: BrowserContext;
let page: Page;
let deviceId: string;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const dpkgRoot = join(dir, 'endpoint');
const swStore = () => new SwimaStore(join(dir, 'swima.db'));
let swima: SwimaStore;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: bash scripts/setup.sh installs Debian's chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  sw = await startSwtpm();
  tpm = await Tpm.open(sw.tcti);
  await tpm.provisionAk();
  await extendLabEvidence(tpm, sw.tcti, LAB, silentLogger);
  deviceId = await akDeviceId(tpm);
  const pki = await labPki();
  const db = join(dir, 'policy.db');
  server = await startLabServer({
    ...loopbackServer(db, pki),
    policy: 'default',
    log: new Logger(1, 'text', new MemorySink()),
    idleTimeoutMs: 10000,
    verifiers: { swima: true, attestation: {} },
  });
  await server.store.addEnforcement(WorkitemType.TPMRA, 'BI', { recFail: Recommendation.ISOLATE });
  await server.store.addEnforcement(WorkitemType.SWIDT, '', { recFail: Recommendation.NO_ACCESS });
  await server.store.setTrusted(deviceId, true);
  const refs = (wrong?: string) =>
    labFiles().map((f) => ({
      path: f.path,
      algo: 0x4000,
      hash: f.path === wrong ? Buffer.alloc(32, 0xee) : f.fileDigest.digest,
    }));
  await new AttestationStore(server.store).importFileHashes('Ubuntu 22.04 x86_64', refs());
  await new AttestationStore(server.store).importFileHashes('Ubuntu 22.10 x86_64', refs(victim));
  dpkgTree(dpkgRoot, true);
  swima = swStore();
  dashboard = await openDashboard({ http: '127.0.0.1:0' }, db, silentLogger);
  browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  await dashboard?.close();
  await server?.close();
  swima?.close();
  await tpm?.close();
  await sw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One handshake of OS, SWIMA and Attestation IMCs; `version` picks the product whose reference hashes apply. */
async function handshake(version: string) {
  const pki = await labPki();
  const imc = new AttestationImc({
    tpm,
    paths: {
      bootEventLog: join(LAB, 'binary_bios_measurements'),
      imaList: join(LAB, 'binary_runtime_measurements'),
      symlinkRoot: dir,
    },
  });
  const swimaImc = new SwimaImc({
    store: swima,
    collector: new SwCollector({ root: dpkgRoot, store: swima, os: DEBIAN_12 }),
    os: DEBIAN_12,
  });
  return attest({
    ...loopbackClient(server.port, pki),
    log: silentLogger,
    os: hostTree(dir, `host-${version}`, { version, deviceId }),
    moreImcs: [swimaImc, imc],
  });
}

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const text = (selector: string) => page.locator(selector).innerText();

test("the sessions page shows an allowed handshake with each IMV's recommendation", async () => {
  const outcome = await handshake('22.04');
  assert.equal(outcome.access, 'allow', outcome.reasons.join('; '));
  await page.goto(`${dashboard.url}sessions`);
  const row = page.locator('#sessions tbody tr').first();
  assert.equal(await row.getAttribute('data-verdict'), 'allow');
  const cells = await row.innerText();
  for (const s of [deviceId, 'client.lab', 'PT-TLS', 'OS:', 'SWIMA:', 'Attestation:', 'compliant'])
    assert.ok(cells.includes(s), `row lacks ${s}: ${cells}`);
  assert.match(cells, /\d+(\.\d+)? (ms|s)\s*$/, 'the row ends with the duration');
  assert.equal(await page.locator('canvas[data-chart]').count(), 2, 'verdict and duration plots');
  await shot('sessions-allow');
});

test('a tampered handshake (a file that differs) appears as isolate without a reload', async () => {
  await page.evaluate(() => Object.assign(globalThis, { beforeLive: true }));
  addPackage(dpkgRoot, HOSTILE, '6.6.6');
  setVersion(dpkgRoot, 'bash', '9.9-1');
  removePackage(dpkgRoot, 'less');
  const outcome = await handshake('22.10');
  assert.equal(outcome.access, 'isolate', outcome.reasons.join('; '));
  await page.locator('#sessions tbody tr[data-verdict="isolate"]').waitFor({ timeout: 20000 });
  assert.equal(
    await page.evaluate(() => (globalThis as { beforeLive?: boolean }).beforeLive),
    true,
    'the page was not reloaded',
  );
  assert.deepEqual(
    await page.locator('#sessions tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict'))),
    ['isolate', 'allow'],
  );
  assert.ok((await text('#sessions tbody tr[data-verdict="isolate"]')).includes(victim), 'the reason names the file');
  await shot('sessions-live-isolate');
});

test('the device page shows AK, trust, verdicts, attestation status, failed checks and the package changes, the new package as text', async () => {
  await page.locator(`#sessions a:text-is("${deviceId}")`).first().click();
  await page.waitForURL(/\/devices\/\d+$/);
  assert.equal(await text('#device-id'), deviceId);
  const factsText = await text('#device-facts');
  assert.ok(factsText.includes('trusted') && !factsText.includes('not trusted'), factsText);
  const attestation = await text('#attestation');
  assert.match(attestation, /BIOS event log\s+ok/);
  assert.match(attestation, /Boot aggregate\s+ok/);
  assert.match(attestation, /\d+ ok, \d+ unknown, 1 differ, 0 failed/);
  assert.ok((await text('#failed-checks')).includes(`differ from the reference hashes: ${victim}`));
  const verdicts = await page
    .locator('#sessions tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
  assert.deepEqual(verdicts, ['isolate', 'allow']);
  const installed = page.locator('#sw-events tbody tr', { hasText: HOSTILE });
  assert.equal(await installed.count(), 1, 'the new package is listed once');
  assert.match(await installed.innerText(), /installed\s+<img src=x onerror=alert\(1\)>\s+6\.6\.6/);
  assert.equal(
    await page.locator('#sw-events img, #inventory img').count(),
    0,
    'the package name is text, not an element',
  );
  assert.match(
    await page.locator('#sw-events tbody tr', { hasText: 'bash' }).innerText(),
    /updated\s+bash\s+\S+ → 9\.9-1/,
  );
  assert.match(await page.locator('#sw-events tbody tr', { hasText: 'less' }).innerText(), /removed\s+less\s+\d/);
  assert.deepEqual(dialogs, [], 'no script from the package name ran');
  await shot('device');
});

test('events since a chosen EID: only the later ones', async () => {
  const eids = (await page.locator('#sw-events tbody tr td:first-child').allInnerTexts()).map(Number);
  const last = Math.max(...eids);
  await page.fill('input[name="since"]', String(last));
  await Promise.all([page.waitForURL(/since=/), page.click('form[action^="/devices/"] button')]);
  const after = (await page.locator('#sw-events tbody tr td:first-child').allInnerTexts()).map(Number);
  assert.ok(after.length > 0 && after.every((e) => e >= last), `${after}`);
});

test('the differ list names the differing file with its reference hash', async () => {
  await page.goBack();
  await Promise.all([page.waitForURL(/\/ima\?verdict=differ$/), page.click('#differ-link')]);
  const rows = page.locator('#ima-files tbody tr');
  assert.equal(await rows.count(), 1);
  const row = await rows.innerText();
  assert.ok(row.includes(victim), row);
  assert.ok(row.includes('ee'.repeat(32)), `the product's reference hash is shown: ${row}`);
  await shot('differ');
});

test('enforcements page lists the TPMRA and SWIDT policies; no page error anywhere', async () => {
  await page.goto(`${dashboard.url}policy`);
  const t = await text('#enforcements');
  assert.match(t, /TPMRA\s+BI/);
  assert.match(t, /SWIDT/);
  await shot('policy');
  assert.deepEqual(pageErrors, []);
});
