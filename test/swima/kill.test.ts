import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { dpkgTree } from './fixture';

const dir = mkdtempSync(join(tmpdir(), 'tnc-swima-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the collector child until it has committed a few passes (or `ms` passed), then kill -9. */
function runAndKill(root: string, db: string, ms: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'kill-child.ts'), root, db], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const printed: number[] = [];
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      printed.push(...lines.map(Number));
      timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(printed) : reject(new Error(`collector exited without being killed (${signal})`)),
    );
  });
}

test(
  'kill -9 of a collecting process, again and again: no committed EID lost, none repeated',
  { timeout: 120_000 },
  async () => {
    const root = dpkgTree(join(dir, 'tree'), true);
    const path = join(dir, 'swima.db');
    let maxSeen = 0;
    let epoch: number | undefined;
    for (let round = 0; round < 8; round++) {
      const printed = await runAndKill(root, path, 5 + ((round * 37) % 120));
      const db = new Database(path, { readonly: true });
      const eids = (db.prepare('SELECT eid FROM events ORDER BY rowid').all() as { eid: number }[]).map((r) => r.eid);
      const e = (db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: number }).value;
      db.close();
      epoch ??= e;
      assert.equal(e, epoch, 'the epoch never changes');
      assert.ok(
        eids.every((x, i) => i === 0 || x > eids[i - 1]),
        'EIDs strictly increasing',
      );
      assert.equal(new Set(eids).size, eids.length, 'no EID repeated');
      const last = eids.at(-1) ?? 0;
      for (const p of printed) assert.ok(p <= last && (p === 0 || eids.includes(p)), `committed EID ${p} lost`);
      assert.ok(last >= maxSeen, 'the log never shrinks');
      maxSeen = last;
    }
    assert.ok(maxSeen > 0, 'the collector committed something');
  },
);
