import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bankByName, canHash } from '../../measurements/algorithms';
import { decodeEventLog, replayEventLog } from '../../measurements/eventlog';
import {
  checkBootAggregate,
  DEFAULT_MAX_BYTES,
  entryOf,
  escapeText,
  imaListBankOf,
  ImaReplayer,
  probeImaHashSize,
  scanImaAsciiFile,
  scanImaBinaryFile,
  type ImaEntry,
  type ImaTail,
} from '../../measurements/ima';
import { parsePcrRead, type QuotedPcrs, type ReplayedPcrs } from '../../measurements/pcrs';
import { BlockWriter, entryRow, textRow, type EntryRow } from './ima-output';
import {
  describeFileError,
  fail,
  fileError,
  orBadInput,
  readMeasurementFile,
  type FileContext,
} from './measurement-file';
import { quotedPcr10, verifyImaReplay } from '../../measurements/verify';

const SECURITYFS_IMA = '/sys/kernel/security/ima';
const DEFAULT_BINARY = `${SECURITYFS_IMA}/binary_runtime_measurements`;
const DEFAULT_ASCII = `${SECURITYFS_IMA}/ascii_runtime_measurements`;
const EVENTLOG_DEFAULT = '/sys/kernel/security/tpm0/binary_bios_measurements';

interface Options {
  file?: string;
  ascii?: boolean;
  bank: string;
  listBank?: string;
  json?: boolean;
  summary?: boolean;
  eventlog?: string;
  pcrs?: string;
  maxBytes: string;
}

/** What an absent default list means: IMA off, or IMA on without this list (a per-bank list on an older kernel). */
export function imaHint(path: string): string {
  return existsSync(dirname(path))
    ? `IMA is on (${dirname(path)} exists) but this kernel does not export this list`
    : 'is IMA enabled (ima_policy= on the kernel command line) and securityfs mounted';
}

/** PCR 10 of `bank` from a tpm2_pcrread file the user trusts (a quote they verified, or a read-out). */
async function trustedPcr10(cmd: Command, path: string, bank: string, json?: boolean): Promise<Record<string, string>> {
  const text = (await readMeasurementFile(cmd, path, { what: 'PCR file', isDefault: false, hint: '', json })).toString(
    'utf8',
  );
  const value = quotedPcr10(parsePcrRead(text) as QuotedPcrs)[bank];
  if (!value) return fail(cmd, `${path}: no ${bank} PCR 10 (tpm2_pcrread output expected)`, 2, json);
  return { [bank]: value };
}

/** The PCRs a firmware event log replays to (read before the list is streamed, so its errors come first). */
async function eventLogPcrs(cmd: Command, path: string, json?: boolean): Promise<ReplayedPcrs> {
  const ctx = {
    what: 'firmware event log',
    isDefault: path === EVENTLOG_DEFAULT,
    hint: 'is there a TPM with an event log',
    json,
  };
  const buf = await readMeasurementFile(cmd, path, ctx);
  return orBadInput(cmd, path, () => replayEventLog(decodeEventLog(buf)).pcrs, json);
}

/** The list's template hash size: from a per-bank file name, --list-bank, or probed from the first entry. */
async function listBankOf(cmd: Command, path: string, o: Options, ctx: FileContext): Promise<string> {
  const named = o.listBank ?? imaListBankOf(path);
  if (named) {
    const bank = bankByName(named);
    if (!bank || !canHash(bank)) return fail(cmd, `--list-bank: unknown or unsupported bank '${named}'`, 2, o.json);
    return bank.name;
  }
  const head = Buffer.alloc(512);
  let n = 0;
  try {
    const fh = await open(path, 'r');
    n = (await fh.read(head, 0, head.length, 0)).bytesRead;
    await fh.close();
  } catch (e) {
    fileError(cmd, path, e, ctx);
  }
  // ascii: the second token of the first line is the template hash; binary: probe the first entry
  const size = o.ascii
    ? head.toString('latin1', 0, n).split(' ')[1]?.length / 2
    : probeImaHashSize(head.subarray(0, n));
  return ({ 32: 'sha256', 48: 'sha384', 64: 'sha512' } as Record<number, string>)[size ?? 20] ?? 'sha1';
}

interface Counts {
  entries: number;
  templates: Map<string, number>;
  first?: ImaEntry;
}

export function register(program: Command): void {
  program
    .command('ima')
    .description('parse the IMA measurement list, check template hashes and replay PCR 10 (streamed: any length)')
    .option('--file <path>', `list to read (default ${DEFAULT_BINARY}, or the ascii list with --ascii)`)
    .option('--ascii', 'the file is an ascii_runtime_measurements list')
    .option('--bank <bank>', 'PCR bank to replay PCR 10 in: sha1, sha256, sha384, sha512', 'sha1')
    .option(
      '--list-bank <bank>',
      'bank of the listed template hashes (default: from a ..._<bank> file name, else probed; sha1 for the classic list)',
    )
    .option('--eventlog <path>', 'check boot_aggregate against the PCRs this firmware event log replays to')
    .option(
      '--pcrs <file>',
      'PCR values you trust (tpm2_pcrread output): verify which prefix of the list PCR 10 proves',
    )
    .option('--summary', 'no line per entry: parse, check template hashes and replay only')
    .option('--json', 'print one JSON object, written as it goes (entries array, then the summary)')
    .option(
      '--max-bytes <n>',
      'stop reading after this many bytes (endless streams such as /dev/zero)',
      String(DEFAULT_MAX_BYTES),
    )
    .action(async function (this: Command, o: Options) {
      await run(this, o);
    });
}

/** A failure while streaming: under --json the document already begun ends with the error (or, if nothing was written, the error alone). */
async function stopped(cmd: Command, path: string, e: unknown, ctx: FileContext, out: BlockWriter): Promise<never> {
  const d = describeFileError(path, e, ctx);
  if (!d) throw e;
  if (ctx.json && out.written) {
    out.write(`\n],"error":${JSON.stringify(escapeText(d.message))},"exitCode":${d.exitCode}}\n`);
    await out.flush(true);
    return cmd.error(escapeText(d.message), { exitCode: d.exitCode });
  }
  out.discard();
  return fail(cmd, d.message, d.exitCode, ctx.json);
}

async function run(cmd: Command, o: Options): Promise<void> {
  const path = o.file ?? (o.ascii ? DEFAULT_ASCII : DEFAULT_BINARY);
  const ctx: FileContext = {
    what: 'IMA measurement list',
    isDefault: o.file === undefined,
    hint: imaHint(path),
    json: o.json,
  };
  const maxBytes = Number(o.maxBytes);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)
    fail(cmd, `--max-bytes must be a positive number of bytes, not '${o.maxBytes}'`, 2, o.json);
  const bank = bankByName(o.bank);
  if (!bank || !canHash(bank)) fail(cmd, `--bank must be sha1, sha256, sha384 or sha512, not '${o.bank}'`, 2, o.json);
  const listBank = await listBankOf(cmd, path, o, ctx);
  const firmwarePcrs = o.eventlog ? await eventLogPcrs(cmd, o.eventlog, o.json) : undefined;
  const trusted = o.pcrs ? await trustedPcr10(cmd, o.pcrs, o.bank, o.json) : undefined;
  const replayer = new ImaReplayer({ banks: [o.bank], listBank, quoted: trusted });
  const out = new BlockWriter();
  const counts: Counts = { entries: 0, templates: new Map() };
  if (o.json) out.write(`{"path":${JSON.stringify(path)},"listBank":"${listBank}","entries":[`);
  const count = (template: string) => {
    counts.entries++;
    counts.templates.set(template, (counts.templates.get(template) ?? 0) + 1);
  };
  const onEntry = (e: ImaEntry) => {
    count(e.template);
    if (counts.entries === 1)
      counts.first = { ...e, templateHash: Buffer.from(e.templateHash), templateData: Buffer.from(e.templateData) };
    if (o.summary) return;
    const row: EntryRow = entryRow(e);
    out.write(o.json ? `${counts.entries > 1 ? ',' : ''}\n${JSON.stringify(row)}` : textRow(row));
  };
  let tail: ImaTail | undefined;
  const opts = { hashSize: bankByName(listBank)!.size, maxBytes, afterChunk: () => out.flush() };
  try {
    if (o.ascii) {
      await scanImaAsciiFile(path, (e) => (replayer.add(e), onEntry(e)), opts);
    } else {
      ({ tail } = await scanImaBinaryFile(
        path,
        (buf, base, at, f) => {
          replayer.addAt(base + at, f.pcr, f.template, buf, f.hashAt, buf, f.dataAt, f.dataLen);
          // --summary decodes only the first entry (the boot_aggregate)
          if (o.summary && counts.entries > 0) count(f.template);
          else onEntry(entryOf(buf, base, at, f));
        },
        opts,
      ));
    }
  } catch (e) {
    await stopped(cmd, path, e, ctx, out);
  }
  if (tail) replayer.setTail(tail);
  const replay = replayer.done();
  const verdict = trusted ? verifyImaReplay(replay) : undefined;
  const verification =
    verdict &&
    (verdict.ok
      ? { ok: true, entries: verdict.verified.entries, banks: verdict.verified.banks }
      : { ok: false, reasons: verdict.reasons });
  const firstRow = counts.first ? orBadInput(cmd, path, () => entryRow(counts.first!), o.json) : undefined;
  const aggregate = counts.first && firmwarePcrs ? checkBootAggregate(counts.first, firmwarePcrs) : undefined;
  const templates = Object.fromEntries(counts.templates);
  if (o.json) {
    out.write(
      `\n],${JSON.stringify({ templates, replay, verification, bootAggregate: firstRow?.fileDigest, bootAggregateCheck: aggregate }).slice(1)}\n`,
    );
    await out.flush(true);
    return;
  }
  await out.flush(true);
  console.log(
    `${path}: ${counts.entries} entries, templates ${Object.entries(templates)
      .map(([t, n]) => `${escapeText(t)}×${n}`)
      .join(', ')}, ${replay.violations} violations${listBank === 'sha1' ? '' : `, ${listBank} template hashes`}`,
  );
  console.log(
    `template hashes: ${replay.templateHashMismatches === 0 ? 'all match' : `${replay.templateHashMismatches} do not match (first: ${replay.mismatchedEntries.map((m) => `#${m.index}`).join(', ')})`}`,
  );
  console.log(
    `PCR 10 (${o.bank}) replayed, untrusted until compared with a quote: ${replay.pcrs[o.bank]?.[10] ?? 'not extended'}`,
  );
  if (verification)
    console.log(
      verification.ok
        ? `verified against ${o.pcrs}: the first ${verification.entries} of ${replay.entries} entries replay to its PCR 10 (${o.bank})`
        : `NOT verified against ${o.pcrs}: ${verification.reasons!.join('; ')}`,
    );
  if (tail)
    console.log(
      `warning: ${tail.length} bytes after the last complete entry, at offset ${tail.offset} (the list was read mid-write, or has trailing garbage): not replayed`,
    );
  if (firstRow) console.log(`first entry: ${escapeText(firstRow.path)} ${firstRow.fileDigest}`);
  if (aggregate)
    console.log(
      `boot_aggregate against ${o.eventlog} (replayed, untrusted): ${{ match: 'match', mismatch: 'MISMATCH', 'cannot-check': 'cannot check' }[aggregate.status]}: ${aggregate.reason}`,
    );
}
