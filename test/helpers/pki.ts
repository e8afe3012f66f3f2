import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLabPki, type LabPki } from '../../src/cli/commands/pki';

let cached: Promise<LabPki> | undefined;

/** A throwaway lab PKI (real openssl, real certificates) made once per test process, removed at exit. */
export function labPki(): Promise<LabPki> {
  if (!cached) {
    const dir = mkdtempSync(join(tmpdir(), 'tnc-agent-pki-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    cached = makeLabPki({ out: dir, serverCn: 'tnc-server', clientCn: 'client.lab', days: 2 });
  }
  return cached;
}
