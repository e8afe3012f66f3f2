import { Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { DEFAULT_AK_HANDLE, hashByName, hashName } from '../../tpm/constants';
import type { PcrSelection } from '../../tpm/pcr';
import { DEFAULT_TCTI, Tpm } from '../../tpm/tpm';
import { verifyQuote } from '../../tpm/verify';

interface Common {
  tcti: string;
  akHandle: number;
  json?: boolean;
}

function parseHandle(v: string): number {
  const n = Number(v.startsWith('0x') ? v : `0x${v}`);
  if (!Number.isInteger(n) || n < 0x81000000 || n > 0x81ffffff)
    throw new InvalidArgumentError('a persistent handle is 0x81000000-0x81ffffff');
  return n;
}

function parsePcrs(v: string): number[] {
  const out = new Set<number>();
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2] ?? m?.[1]);
    if (!m || lo > hi || hi > 23) throw new InvalidArgumentError(`"${part}" is not a PCR index or range in 0-23`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

function parseBank(v: string): number {
  const id = hashByName(v);
  if (id === undefined) throw new InvalidArgumentError('bank is one of sha1, sha256, sha384, sha512');
  return id;
}

function parseHex(v: string): Buffer {
  if (!/^([0-9a-f]{2})+$/i.test(v) || v.length > 128) throw new InvalidArgumentError('nonce is 1-64 bytes of hex');
  return Buffer.from(v, 'hex');
}

async function withTpm<T>(opts: Common, fn: (tpm: Tpm) => Promise<T>): Promise<T> {
  const tpm = await Tpm.open(opts.tcti);
  try {
    return await fn(tpm);
  } finally {
    await tpm.close();
  }
}

// Buffers (already turned into {type, data} by their toJSON) print as hex, bigints as decimal.
function jsonValue(_key: string, v: unknown): unknown {
  const b = v as { type?: string; data?: number[] } | undefined;
  if (b?.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data).toString('hex');
  return typeof v === 'bigint' ? v.toString() : v;
}

function print(opts: Common, value: unknown, text: () => string): void {
  console.log(opts.json ? JSON.stringify(value, jsonValue, 2) : text());
}

const banks = (list: PcrSelection[]) => list.map((b) => `${hashName(b.hash)}[${b.pcrs.length}]`).join(' ');

function common(cmd: Command): Command {
  return cmd
    .option(
      '--tcti <string>',
      'tpm2-tss TCTI: device:/dev/tpmrm0, swtpm:host=H,port=P, mssim:host=H,port=P',
      DEFAULT_TCTI,
    )
    .addOption(
      new Option('--ak-handle <handle>', 'persistent handle of the AK (hex)')
        .argParser(parseHandle)
        .default(DEFAULT_AK_HANDLE, '0x81010003'),
    )
    .option('--json', 'print JSON');
}

export function register(program: Command): void {
  const tpm = program.command('tpm').description('TPM 2.0: identity, AK provisioning, PCRs and quotes');
  common(tpm.command('info').description('manufacturer, firmware, spec level and PCR banks')).action(
    async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<Common>();
      const info = await withTpm(o, (t) => t.info());
      print(
        o,
        info,
        () =>
          `TPM ${info.family} rev ${info.revision} (${info.year}) by ${info.manufacturer} "${info.vendor}" firmware ${info.firmwareVersion}, banks ${banks(info.banks)}`,
      );
    },
  );
  common(tpm.command('provision').description('create the EK and an AK under it, persisted at --ak-handle'))
    .option('--ecc', 'ECC P-256 AK (default RSA 2048)')
    .option('--replace', 'evict an object already at the handle')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<Common & { ecc?: boolean; replace?: boolean }>();
      const ak = await withTpm(o, (t) =>
        t.provisionAk({ handle: o.akHandle, kind: o.ecc ? 'ecc' : 'rsa', replace: o.replace }),
      );
      const out = {
        handle: `0x${ak.handle.toString(16)}`,
        keyId: ak.keyId,
        akPublic: ak.akPublic,
        ekPublic: ak.ekPublic,
      };
      print(o, out, () => `AK at ${out.handle}, key id ${ak.keyId}`);
    });
  common(tpm.command('pcrs').description('read PCRs of one bank'))
    .addOption(new Option('--bank <hash>', 'PCR bank').argParser(parseBank).default(hashByName('sha256'), 'sha256'))
    .addOption(
      new Option('--pcrs <list>', 'PCR indices, e.g. 0-7,10').argParser(parsePcrs).default(parsePcrs('0-23'), '0-23'),
    )
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<Common & { bank: number; pcrs: number[] }>();
      const values = await withTpm(o, (t) => t.pcrRead(o.bank, o.pcrs));
      const rows = [...values].map(([i, v]) => ({ pcr: i, value: v.toString('hex') }));
      print(o, { bank: hashName(o.bank), pcrs: rows }, () =>
        rows.map((r) => `${hashName(o.bank)} ${String(r.pcr).padStart(2)}: ${r.value}`).join('\n'),
      );
    });
  common(tpm.command('quote').description('quote PCRs with the AK and verify the quote against the PCRs read back'))
    .addOption(new Option('--bank <hash>', 'PCR bank').argParser(parseBank).default(hashByName('sha256'), 'sha256'))
    .addOption(
      new Option('--pcrs <list>', 'PCR indices, e.g. 0-7,10').argParser(parsePcrs).default(parsePcrs('0-10'), '0-10'),
    )
    .option('--nonce <hex>', 'qualifying data (default: 32 random bytes)', parseHex)
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<Common & { bank: number; pcrs: number[]; nonce?: Buffer }>();
      const nonce = o.nonce ?? randomBytes(32);
      const sel = [{ hash: o.bank, pcrs: o.pcrs }];
      const r = await withTpm(o, async (t) => {
        const q = await t.quote({ nonce, pcrs: sel, akHandle: o.akHandle });
        const v = verifyQuote(q, { ak: (await t.readPublic(o.akHandle)).raw, nonce, pcrs: await t.pcrValues(sel) });
        return {
          nonce,
          attest: q.attest,
          signature: q.signature,
          verified: v.ok,
          failure: v.ok ? undefined : `${v.reason}: ${v.detail}`,
        };
      });
      print(
        o,
        r,
        () =>
          `quote of ${hashName(o.bank)} PCRs ${o.pcrs.join(',')}: ${r.verified ? 'verified' : `NOT verified (${r.failure})`}\nattest ${r.attest.toString('hex')}\nsignature ${r.signature.toString('hex')}`,
      );
      if (!r.verified) process.exitCode = 1;
    });
}
