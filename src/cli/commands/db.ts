import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { open, opendir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { decodeImaFields, iterateImaAscii, streamImaFile } from '../../measurements/ima';
import { isDecodeError } from '../../bytes/errors';
import { AttestationStore, type FileHashEntry, type ImportProgress } from '../../policy/attestation';
import type { PolicyStore } from '../../policy/store';
import { policyDbOptions, withPolicyStore, type PolicyDbFlags } from '../policy-db';
import { ImaKeyStore } from '../../policy/ima-keys';
import { parseImaKeys, type ImaSigningKey } from '../../measurements/ima/signature';
import { workitemTypeName } from '../../policy/workitem-types';
import { ptsBitOf } from '../../imvs/attestation/ima-lookup';
import { recommendationName } from '../../tnccs/types';
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

/** One progress line, rewritten in place: entries read and new hashes stored (with the rate). */
function progressLine(started: number): (p: ImportProgress, done?: boolean) => void {
  return (p, done = false) => {
    const s = (Date.now() - started) / 1000;
    const rate = s > 0 ? ` (${Math.round(p.read / s)}/s)` : '';
    process.stderr.write(`\r[CFG] ${p.read} reference hashes read, ${p.added} new stored${rate}${done ? '\n' : ''}`);
  };
}

/** The files of a reference root as they sit on the endpoint (`DIR/usr/bin/ls` → `/usr/bin/ls`). */
async function* fromRoot(root: string, algos: string[]): AsyncGenerator<FileHashEntry> {
  for await (const p of regularFiles(root)) {
    const digests = await hashFile(p, algos).catch(() => undefined);
    if (!digests) continue;
    for (const [i, a] of algos.entries()) yield { path: `/${relative(root, p)}`, algo: ptsBitOf(a)!, hash: digests[i] };
  }
}

interface ImaListCounts {
  bootAggregates: number;
  skipped: number;
}

/**
 * The file digests of a known-good IMA list, streamed (binary, read in chunks; ascii, decoded from
 * the file). boot_aggregate entries are left out by name (they hash PCRs, not a file); entries
 * without an absolute path or with a digest algorithm PTS has no bit for are counted as skipped.
 */
async function* fromImaList(path: string, counts: ImaListCounts): AsyncGenerator<FileHashEntry> {
  const head = Buffer.alloc(1);
  const fh = await open(path, 'r');
  await fh.read(head, 0, 1, 0).finally(() => fh.close());
  // an ascii list starts with the PCR number in digits; a binary one with a little-endian u32
  const ascii = head[0] >= 0x30 && head[0] <= 0x39;
  const list = ascii ? iterateImaAscii(await readFile(path)) : streamImaFile(path);
  for await (const e of list) {
    const f = decodeImaFields(e);
    const algo = ptsBitOf(f.fileDigest.algorithm);
    if (f.path === 'boot_aggregate') counts.bootAggregates++;
    else if (algo === undefined || !f.path.startsWith('/')) counts.skipped++;
    else yield { path: f.path, algo, hash: f.fileDigest.digest };
  }
}

/** "(N read)" plus what of the IMA list was left out and why. */
function readSummary(read: number, list?: ImaListCounts): string {
  const parts = [`${read} read`];
  if (list) parts.push(`${list.bootAggregates} boot_aggregate entr${list.bootAggregates === 1 ? 'y' : 'ies'} skipped`);
  if (list?.skipped) parts.push(`${list.skipped} skipped: no absolute path or no PTS hash algorithm`);
  return `(${parts.join(', ')})`;
}

interface ImportOptions extends PolicyDbFlags {
  product: string;
  root?: string;
  imaList?: string;
  algo: string;
}

/**
 * Streams the entries into the database in batches (PostgreSQL COPY), a progress line as it goes;
 * servers using the database go on meanwhile. A list that cannot be decoded stops the import with
 * exit 2 (the batches before it stay: each holds whole entries, and importing again skips them).
 */
async function importHashes(cmd: Command, o: ImportOptions): Promise<void> {
  if (!o.root === !o.imaList) cmd.error('give exactly one of --root DIR and --ima-list FILE', { exitCode: 2 });
  const algos = o.algo.split(',').map((a) => a.trim());
  const bad = algos.find((a) => ptsBitOf(a) === undefined);
  if (bad) cmd.error(`--algo takes sha1, sha256, sha384, sha512, not '${bad}'`, { exitCode: 2 });
  const counts: ImaListCounts = { bootAggregates: 0, skipped: 0 };
  const entries = o.imaList === undefined ? fromRoot(o.root!, algos) : fromImaList(o.imaList, counts);
  const progress = progressLine(Date.now());
  let last: ImportProgress = { read: 0, added: 0 };
  const added = await withPolicyStore(o, (store) =>
    new AttestationStore(store).importFileHashes(o.product, entries, (p) => progress((last = p))),
  ).catch((e: unknown) => {
    if (isDecodeError(e)) cmd.error(`${o.imaList}: ${(e as Error).message}`, { exitCode: 2 });
    throw e;
  });
  progress(last, true);
  console.log(
    `imported ${added} new reference hashes ${readSummary(last.read, o.imaList === undefined ? undefined : counts)} for product '${o.product}'`,
  );
}

/** `db import-ima-keys FILE...`: every key of every file, or none (a file that does not parse stops before any is stored). */
async function importImaKeys(cmd: Command, files: string[], o: PolicyDbFlags): Promise<void> {
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
  const added = await withPolicyStore(o, (store) => new ImaKeyStore(store).add(keys));
  keys.forEach(({ key, source }, i) =>
    console.log(
      `IMA key ${key.keyId} (${key.certificate ? `certificate '${key.certificate.subject}'` : `${key.key.asymmetricKeyType} public key`}) from ${source}: ${added[i] ? 'imported' : 'already stored'}`,
    ),
  );
}

type Table = 'sessions' | 'devices' | 'results' | 'ima-keys';
const time = (t: number): string => new Date(t * 1000).toISOString();

async function rows(store: PolicyStore, what: Table): Promise<Record<string, unknown>[]> {
  if (what === 'devices') return (await store.listDevices()).map((d) => ({ ...d, created: time(d.created) }));
  if (what === 'ima-keys') return (await new ImaKeyStore(store).list()).map((k) => ({ ...k, added: time(k.added) }));
  if (what === 'sessions')
    return (await store.listSessions()).map((s) => ({ ...s, time: time(s.time), rec: recommendationName(s.rec) }));
  return (await store.listResults()).map((r) => ({
    ...r,
    time: time(r.time),
    type: workitemTypeName(r.type),
    rec: recommendationName(r.rec),
  }));
}

export function register(program: Command): void {
  const db = program
    .command('db')
    .description(
      "the lab server's policy database: reference hashes, package security versions, devices, sessions, results",
    );
  policyDbOptions(db.command('import-hashes'))
    .description(
      'import reference file hashes for a product, from a file tree or a known-good IMA list (streamed in batches; servers sharing the database go on)',
    )
    .requiredOption('--product <name>', "product as the OS IMV names it, e.g. 'Debian 12 x86_64'")
    .option('--root <dir>', 'hash every regular file under DIR, as if DIR were /')
    .option('--ima-list <file>', 'take the file digests of an IMA measurement list (binary or ascii)')
    .option('--algo <list>', 'hash algorithms for --root, comma-separated', 'sha256')
    .action(async function (this: Command, o: ImportOptions) {
      await importHashes(this, o);
    });
  policyDbOptions(db.command('import-ima-keys <file...>'))
    .description(
      'store IMA signing keys (X.509 certificates or public keys, PEM or DER) the Attestation IMV checks ima-sig file signatures with',
    )
    .addHelpText(
      'after',
      '\nA running server reads the keys at each attestation. With any key stored (or --ima-keys given), each\n' +
        'signature is reported ok / bad / missing / unknown key; --ima-signatures says which fail.\n' +
        'Example: tnc-agent db import-ima-keys /etc/keys/x509_ima.der --db lab/policy.db',
    )
    .action(async function (this: Command, files: string[], o: PolicyDbFlags) {
      await importImaKeys(this, files, o);
    });
  registerImportPackages(db);
  registerEnforce(db);
  const device = db.command('device').description('devices (Device ID = AK key ID)');
  for (const [verb, trusted] of [
    ['trust', true],
    ['untrust', false],
  ] as const) {
    policyDbOptions(device.command(`${verb} <deviceId>`))
      .description(
        `mark a device ${trusted ? '' : 'not '}trusted: its AIK is ${trusted ? '' : 'not '}accepted when its key ID equals the Device ID`,
      )
      .action(async function (this: Command, id: string, o: PolicyDbFlags) {
        await withPolicyStore(o, (store) => store.setTrusted(id.toLowerCase(), trusted));
        console.log(`device ${id.toLowerCase()} is ${trusted ? '' : 'not '}trusted`);
      });
  }
  policyDbOptions(db.command('show <what>').alias('list'))
    .description('print sessions, devices, results (newest sessions first) or ima-keys')
    .option('--json', 'print JSON')
    .action(async function (this: Command, what: string, o: PolicyDbFlags & { json?: boolean }) {
      if (!['sessions', 'devices', 'results', 'ima-keys'].includes(what))
        this.error(`show takes sessions, devices, results or ima-keys, not '${what}'`, { exitCode: 2 });
      const list = await withPolicyStore(o, (store) => rows(store, what as Table));
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
