import type { Command } from 'commander';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { PackageSourceError, parseAptPackagesIndex, parsePackageList } from '../../policy/package-sources';
import { PackageStore, type SecurityVersion } from '../../policy/packages';
import { policyDbOptions, withPolicyStore, type PolicyDbFlags } from '../policy-db';

interface PackagesFlags extends PolicyDbFlags {
  product: string;
  index?: string;
  list?: string;
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** The index as text: plain, gzip (Packages.gz) or xz (Packages.xz, through the xz tool). */
async function indexText(path: string): Promise<string> {
  const raw = await readFile(path);
  if (raw.subarray(0, 2).equals(GZIP_MAGIC)) return gunzipSync(raw).toString('utf8');
  if (raw.subarray(0, 6).equals(XZ_MAGIC)) {
    const { stdout } = await promisify(execFile)('xz', ['-dc', path], { encoding: 'buffer', maxBuffer: 1 << 30 });
    return stdout.toString('utf8');
  }
  return raw.toString('utf8');
}

async function read(cmd: Command, o: PackagesFlags): Promise<SecurityVersion[]> {
  const path = (o.index ?? o.list)!;
  try {
    return o.index !== undefined
      ? parseAptPackagesIndex(await indexText(o.index))
      : parsePackageList(await readFile(path, 'utf8'));
  } catch (e) {
    if (e instanceof PackageSourceError) cmd.error(`${path}: ${e.message}`, { exitCode: 2 });
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') cmd.error(`${path}: no such file`, { exitCode: 2 });
    throw e;
  }
}

/** `tnc-agent db import-packages`: the package database the OS IMV's PCKGS workitem judges against. */
export function registerImportPackages(db: Command): void {
  policyDbOptions(db.command('import-packages'))
    .description(
      "store the newest security version of each package for a product, from the security suite's apt Packages index " +
        '(e.g. dists/bookworm-security/main/binary-amd64/Packages.xz) or a plain list; an endpoint with an older version of a ' +
        'package is vulnerable (PCKGS workitem: `db enforce PCKGS`)',
    )
    .requiredOption('--product <name>', "product as the OS IMV names it, e.g. 'Debian 12 x86_64'")
    .option('--index <file>', 'apt Packages index of a security suite (plain, .gz or .xz)')
    .option('--list <file>', "plain list, one 'NAME VERSION' a line (# comments)")
    .action(async function (this: Command, o: PackagesFlags) {
      if ((o.index === undefined) === (o.list === undefined))
        this.error('give exactly one of --index FILE and --list FILE', { exitCode: 2 });
      const versions = await read(this, o);
      process.stderr.write(`[CFG] ${versions.length} package versions read\n`);
      const r = await withPolicyStore(o, (store) =>
        new PackageStore(store).importSecurityVersions(o.product, versions),
      );
      console.log(
        `security versions for product '${o.product}': ${r.added} new, ${r.updated} newer, ${r.unchanged} unchanged (${versions.length} entries read)`,
      );
    });
}
