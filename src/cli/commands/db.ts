import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { opendir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { decodeImaAscii, decodeImaBinary, decodeImaFields } from '../../measurements/ima';
import { AttestationStore, type FileHashEntry } from '../../policy/attestation';
import { PolicyStore } from '../../policy/store';
import { ImaKeyStore } from '../../policy/ima-keys';
import { parseImaKeys, type ImaSigningKey } from '../../measurements/ima/signature';
import { workitemTypeName } from '../../policy/workitem-types';
import { ptsBitOf } from '../../imvs/attestation/ima-lookup';
import { recommendationName } from '../../tnccs/types';
import { orBadInput } from './measurement-file';
import { registerEnforce } from './db-enforce';
import { registerImportPackages } from './db-packages';

/** Regular files under `root` (symlinks are not followed: the IMV applies the UsrMerge links itself). */
async function* regularFiles(root: string, dir = root): AsyncGenerator<string> {
  for await (const e of await opendir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* regularFiles(root, p);
    else if (e.isFile()) yield p;
  }
}

function hashFile(path: string, algos: string[]): Promise<Buffer[]> {
  const hashes = algos.map((a) => createHash(a));
  return new Promise((resolve, reject) => {
    createReadStream(path)
      .on('data', (d) => hashes.forEach((h) => h.update(d)))
      .on('error', reject)
      .on('end', () => resolve(hashes.map((h) => h.digest())));
  });
}

function progress(n: number, done = false): void {
  process.stderr.write(`\r[CFG] ${n} reference hashes read${done ? '\n' : ''}`);
}

/** The files of a reference root as they sit on the endpoint (`DIR/usr/bin/ls` → `/usr/bin/ls`). */
async function fromRoot(root: string, algos: string[]): Promise<FileHashEntry[]> {
  const out: FileHashEntry[] = [];
  for await (const p of regularFiles(root)) {
    const digests = await hashFile(p, algos).catch(() => undefined);
    if (!digests) continue;
    algos.forEach((a, i) => out.push({ path: `/${relative(root, p)}`, algo: ptsBitOf(a)!, hash: digests[i] }));
    if (out.length % 500 < algos.length) progress(out.length);
  }
  return out;
}

interface ImaListHashes {
  entries: FileHashEntry[];
  bootAggregates: number;
  skipped: number;
}

/**
 * The file digests of a known-good IMA list (binary or ascii). boot_aggregate entries are left out by
 * name (they hash PCRs, not a file); entries without an absolute path or with a digest algorithm PTS
 * has no bit for are counted as skipped.
 */
function fromImaList(cmd: Command, path: string, buf: Buffer): ImaListHashes {
  // an ascii list starts with the PCR number in digits; a binary one with a little-endian u32
  const ascii = buf.length > 0 && buf[0] >= 0x30 && buf[0] <= 0x39;
  const list = orBadInput(cmd, path, () => (ascii ? decodeImaAscii(buf) : decodeImaBinary(buf)));
  const out: ImaListHashes = { entries: [], bootAggregates: 0, skipped: 0 };
  orBadInput(cmd, path, () => {
    for (const e of list) {
      const f = decodeImaFields(e);
      const algo = ptsBitOf(f.fileDigest.algorithm);
      if (f.path === 'boot_aggregate') out.bootAggregates++;
      else if (algo === undefined || !f.path.startsWith('/')) out.skipped++;
      else out.entries.push({ path: f.path, algo, hash: f.fileDigest.digest });
    }
  });
  return out;
}

/** "(N read)" plus what of the IMA list was left out and why. */
function readSummary(read: number, list?: ImaListHashes): string {
  const parts = [`${read} read`];
  if (list) parts.push(`${list.bootAggregates} boot_aggregate entr${list.bootAggregates === 1 ? 'y' : 'ies'} skipped`);
  if (list?.skipped) parts.push(`${list.skipped} skipped: no absolute path or no PTS hash algorithm`);
  return `(${parts.join(', ')})`;
}

interface ImportOptions {
  db: string;
  product: string;
  root?: string;
  imaList?: string;
  algo: string;
}

async function importHashes(cmd: Command, o: ImportOptions): Promise<void> {
  if (!o.root === !o.imaList) cmd.error('give exactly one of --root DIR and --ima-list FILE', { exitCode: 2 });
  const algos = o.algo.split(',').map((a) => a.trim());
  const bad = algos.find((a) => ptsBitOf(a) === undefined);
  if (bad) cmd.error(`--algo takes sha1, sha256, sha384, sha512, not '${bad}'`, { exitCode: 2 });
  const list = o.imaList === undefined ? undefined : fromImaList(cmd, o.imaList, await readFile(o.imaList));
  const entries = list?.entries ?? (await fromRoot(o.root!, algos));
  const store = new PolicyStore(o.db);
  try {
    const added = new AttestationStore(store).importFileHashes(o.product, entries, (n) => progress(n));
    progress(entries.length, true);
    console.log(
      `imported ${added} new reference hashes ${readSummary(entries.length, list)} for product '${o.product}'`,
    );
  } finally {
    store.close();
  }
}

/** `db import-ima-keys FILE...`: every key of every file, or none (a file that does not parse stops before any is stored). */
async function importImaKeys(cmd: Command, files: string[], o: { db: string }): Promise<void> {
  const keys: { key: ImaSigningKey; source: string }[] = [];
  for (const f of files) {
    const data = await readFile(f).catch((e: NodeJS.ErrnoException) =>
      cmd.error(`${f}: ${e.message}`, { exitCode: 1 }),
    );
    try {
      keys.push(...parseImaKeys(data, f).map((key) => ({ key, source: f })));
    } catch (e) {
      cmd.error((e as Error).message, { exitCode: 2 });
    }
  }
  const store = new PolicyStore(o.db);
  try {
    const ima = new ImaKeyStore(store);
    const added = store.sql.tx(() => keys.map(({ key, source }) => ima.add(key, source)));
    keys.forEach(({ key, source }, i) =>
      console.log(
        `IMA key ${key.keyId} (${key.certificate ? `certificate '${key.certificate.subject}'` : `${key.key.asymmetricKeyType} public key`}) from ${source}: ${added[i] ? 'imported' : 'already stored'}`,
      ),
    );
  } finally {
    store.close();
  }
}

type Table = 'sessions' | 'devices' | 'results' | 'ima-keys';
const time = (t: number): string => new Date(t * 1000).toISOString();

function rows(store: PolicyStore, what: Table): Record<string, unknown>[] {
  if (what === 'ima-keys') return new ImaKeyStore(store).list().map((k) => ({ ...k, added: time(k.added) }));
  if (what === 'devices') return store.listDevices().map((d) => ({ ...d, created: time(d.created) }));
  if (what === 'sessions')
    return store.listSessions().map((s) => ({ ...s, time: time(s.time), rec: recommendationName(s.rec) }));
  return store
    .listResults()
    .map((r) => ({ ...r, time: time(r.time), type: workitemTypeName(r.type), rec: recommendationName(r.rec) }));
}

export function register(program: Command): void {
  const db = program
    .command('db')
    .description(
      "the lab server's policy database: reference hashes, package security versions, devices, sessions, results",
    );
  db.command('import-hashes')
    .description('import reference file hashes for a product, from a file tree or a known-good IMA list')
    .requiredOption('--db <path>', 'policy database (created if missing)')
    .requiredOption('--product <name>', "product as the OS IMV names it, e.g. 'Debian 12 x86_64'")
    .option('--root <dir>', 'hash every regular file under DIR, as if DIR were /')
    .option('--ima-list <file>', 'take the file digests of an IMA measurement list (binary or ascii)')
    .option('--algo <list>', 'hash algorithms for --root, comma-separated', 'sha256')
    .action(async function (this: Command, o: ImportOptions) {
      await importHashes(this, o);
    });
  db.command('import-ima-keys <file...>')
    .description(
      'store IMA signing keys (X.509 certificates or public keys, PEM or DER) the Attestation IMV checks ima-sig file signatures with',
    )
    .requiredOption('--db <path>', 'policy database (created if missing)')
    .addHelpText(
      'after',
      '\nA running server reads the keys at each attestation. With any key stored (or --ima-keys given), each\n' +
        'signature is reported ok / bad / missing / unknown key; --ima-signatures says which fail.\n' +
        'Example: tnc-agent db import-ima-keys /etc/keys/x509_ima.der --db lab/policy.db',
    )
    .action(async function (this: Command, files: string[], o: { db: string }) {
      await importImaKeys(this, files, o);
    });
  registerImportPackages(db);
  registerEnforce(db);
  const device = db.command('device').description('devices (Device ID = AK key ID)');
  for (const [verb, trusted] of [
    ['trust', true],
    ['untrust', false],
  ] as const) {
    device
      .command(`${verb} <deviceId>`)
      .description(
        `mark a device ${trusted ? '' : 'not '}trusted: its AIK is ${trusted ? '' : 'not '}accepted when its key ID equals the Device ID`,
      )
      .requiredOption('--db <path>', 'policy database')
      .action(function (this: Command, id: string, o: { db: string }) {
        const store = new PolicyStore(o.db);
        store.setTrusted(id.toLowerCase(), trusted);
        store.close();
        console.log(`device ${id.toLowerCase()} is ${trusted ? '' : 'not '}trusted`);
      });
  }
  db.command('show <what>')
    .alias('list')
    .description('print sessions, devices, results (newest sessions first) or ima-keys')
    .requiredOption('--db <path>', 'policy database')
    .option('--json', 'print JSON')
    .action(function (this: Command, what: string, o: { db: string; json?: boolean }) {
      if (!['sessions', 'devices', 'results', 'ima-keys'].includes(what))
        this.error(`show takes sessions, devices, results or ima-keys, not '${what}'`, { exitCode: 2 });
      const store = new PolicyStore(o.db);
      const list = rows(store, what as Table);
      store.close();
      if (o.json) console.log(JSON.stringify(list, null, 1));
      else
        for (const r of list)
          console.log(
            Object.values(r)
              .map((v) => (v === null ? '-' : String(v)))
              .join('\t'),
          );
    });
}
