import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwCollector } from '../../src/imcs/swima/collector';
import { SwimaStore } from '../../src/imcs/swima/store';
import { watchDpkg } from '../../src/imcs/swima/watch';
import { silentLogger } from '../../src/log';
import { DEBIAN_12, dpkgTree, removePackage } from './fixture';

const dir = mkdtempSync(join(tmpdir(), 'tnc-swima-watch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test(
  'live collection: a change of dpkg status becomes a stored event without a manual pass',
  { timeout: 20_000 },
  async () => {
    const root = dpkgTree(join(dir, 'tree'));
    const store = new SwimaStore(join(dir, 'live.db'));
    const counts: number[] = [];
    let changed: () => void = () => {};
    const live = watchDpkg(new SwCollector({ root, store, os: DEBIAN_12 }), root, silentLogger, (n) => {
      counts.push(n);
      changed();
    });
    try {
      await live.ready;
      assert.deepEqual(counts, [781], 'the initial pass records the installed packages');
      const next = new Promise<void>((r) => (changed = r));
      removePackage(root, 'less');
      await next;
      assert.deepEqual(counts, [781, 1]);
      const [e] = store.eventsSince(782);
      assert.equal(e.action, 2);
      assert.equal(e.identifier.swId, 'strongswan.org__Debian_12-x86_64-less-590-2.1~deb12u2');
    } finally {
      await live.close();
      store.close();
    }
  },
);
