import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorError, openCollectors } from '../../src/agent/collectors';
import { openCollectors as openFromFlags } from '../../src/cli/agent-collectors';
import { buildConfig, parseIni } from '../../src/daemon/config';
import { openParts } from '../../src/daemon/parts';
import { Logger } from '../../src/log';

// The agent core names the part that failed; each front end adds what its user can change:
// the command line its flags, the daemon its configuration keys (and never the other's).
const dir = mkdtempSync(join(tmpdir(), 'tnc-agent-hints-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// a folder where the SWIMA store should be: SQLite cannot open it
const notAStore = join(dir, 'store-is-a-folder');
mkdirSync(notAStore);
const log = new Logger(-1);

test('the core: a CollectorError naming the SWIMA store, with no front end hint', async () => {
  await assert.rejects(
    openCollectors({ swima: { store: notAStore } }),
    (e: unknown) =>
      e instanceof CollectorError &&
      e.part === 'swima-store' &&
      e.message.startsWith(`cannot open the SWIMA event store '${notAStore}'`) &&
      !/--|\[swima\]/.test(e.message),
  );
});

test('the command line hints at its flags', async () => {
  await assert.rejects(openFromFlags({ swima: true, swimaStore: notAStore }, log), (e: Error) => {
    assert.match(e.message, /\(choose another with --swima-store, or --no-swima\)$/);
    return true;
  });
});

test('the daemon hints at its configuration keys, never at a flag', async () => {
  const c = buildConfig(parseIni(`[swima]\nenabled = yes\nstore = ${notAStore}\n`, 'test.conf'));
  await assert.rejects(
    openParts(c, log, () => {}),
    (e: Error) => {
      assert.match(e.message, /\(set another \[swima\] store, or \[swima\] enabled = no\)$/);
      assert.doesNotMatch(e.message, /--/);
      return true;
    },
  );
});
