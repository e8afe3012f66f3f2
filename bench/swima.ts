import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwCollector } from '../src/imcs/swima/collector';
import { SwimaStore } from '../src/imcs/swima/store';
import { DEFAULT_TAG_CREATOR, softwareId, SwOs, swidTag } from '../src/imcs/swima/sw-id';
import { watchDpkg } from '../src/imcs/swima/watch';
import { silentLogger } from '../src/log';
import { line } from './_util';

// SWIMA: identifiers and SWID tags for 5,000 packages, events since an EID in a 1,000,000-event store,
// and the latency from a dpkg status change to the stored event (live collection through chokidar).
const OS: SwOs = { name: 'Debian', version: '12', arch: 'x86_64' };
const PACKAGES = Array.from({ length: 5000 }, (_, i) => ({ name: `pkg${i}-dev`, version: `1:${i}.0-1+deb12u1` }));

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

function status(n: number): string {
  return PACKAGES.slice(0, n)
    .map((p) => `Package: ${p.name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${p.version}\n`)
    .join('\n');
}

async function liveLatency(dir: string): Promise<number> {
  const root = join(dir, 'live');
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), status(1000));
  const store = new SwimaStore(join(dir, 'live.db'));
  const collector = new SwCollector({ root, store, os: OS });
  let recorded: () => void = () => {};
  const live = watchDpkg(collector, root, silentLogger, () => recorded());
  await live.ready;
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const done = new Promise<void>((r) => (recorded = r));
    const t0 = process.hrtime.bigint();
    writeFileSync(join(root, 'var/lib/dpkg/status'), status(1000 - 1 - i));
    await done;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await live.close();
  store.close();
  return samples.sort((a, b) => a - b)[2];
}

export async function run(): Promise<void> {
  const ids = time(() => PACKAGES.map((p) => softwareId(DEFAULT_TAG_CREATOR, OS, p.name, p.version)));
  line('swima', 'software identifiers for 5,000 packages', ids.ms, 'ms');
  const tags = time(() => PACKAGES.map((p) => swidTag(DEFAULT_TAG_CREATOR, OS, p.name, p.version)));
  line('swima', 'full SWID tags for 5,000 packages', tags.ms, 'ms');
  const dir = mkdtempSync(join(tmpdir(), 'bench-swima-'));
  try {
    const store = new SwimaStore(join(dir, 'events.db'));
    const fill = time(() => {
      for (let b = 0; b < 100; b++)
        store.append(
          Array.from({ length: 10_000 }, (_, i) => ({
            timestamp: '2030-01-01T00:00:00Z',
            action: 1 + (i % 2),
            swId: ids.value[i % 5000],
            package: 'p',
            version: 'v',
          })),
        );
    });
    line('swima', 'store 1,000,000 events', fill.ms / 1000, 's');
    const since = time(() => store.eventsSince(999_001));
    line('swima', `events since EID 999,001 of 1,000,000 (${since.value.length} events)`, since.ms, 'ms');
    store.close();
    line('swima', 'live dpkg status change to stored event (median of 5)', await liveLatency(dir), 'ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
