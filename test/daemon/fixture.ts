import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemorySink } from '../../src/log';
import { labPki } from '../helpers/pki';

/**
 * A host tree under `dir` (os-release, /proc files, machine-id, a real dpkg status file copied to
 * `dpkgStatus`, or the Debian 12 fixture's when not given) and the [os] section that points at it.
 */
export function hostTree(dir: string, dpkgStatus = join(dir, 'dpkg', 'status')): string {
  const proc = (rel: string, text: string) => {
    mkdirSync(join(dir, 'proc', rel, '..'), { recursive: true });
    writeFileSync(join(dir, 'proc', rel), text);
  };
  proc('sys/net/ipv4/ip_forward', '0\n');
  proc('sys/net/ipv6/conf/all/forwarding', '0\n');
  proc('stat', 'cpu 1 2 3\nbtime 1700000000\n');
  proc('uptime', '100.00 50.00\n');
  writeFileSync(join(dir, 'os-release'), 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n');
  writeFileSync(join(dir, 'machine-id'), '0123456789abcdef0123456789abcdef\n');
  if (dpkgStatus === join(dir, 'dpkg', 'status')) {
    mkdirSync(join(dir, 'dpkg'), { recursive: true });
    copyFileSync(join(__dirname, '..', 'data', 'fixtures', 'dpkg', 'status'), dpkgStatus);
  }
  return `[os]\nos-release = ${dir}/os-release\nproc-root = ${dir}/proc\nmachine-id = ${dir}/machine-id\ndpkg-status = ${dpkgStatus}\n`;
}

/** The [server] section for the lab PKI and a lab server on loopback `port`. */
export async function serverSection(port: number): Promise<string> {
  const pki = await labPki();
  return `[server]\naddress = 127.0.0.1:${port}\nca = ${pki.files.caCert}\ncert = ${pki.files.clientCert}\nkey = ${pki.files.clientKey}\nservername = tnc-server\n`;
}

/** Waits (no timing assertion: a deadline only against a hang) until a log line matches; its index. */
export async function logLine(sink: MemorySink, re: RegExp, from = 0, deadlineMs = 30_000): Promise<number> {
  for (const end = Date.now() + deadlineMs; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const i = sink.lines.findIndex((l, n) => n >= from && re.test(l));
    if (i >= 0) return i;
  }
  assert.fail(`no log line matching ${re}; log:\n${sink.lines.slice(from).join('\n')}`);
}
