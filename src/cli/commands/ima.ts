import type { Command } from 'commander';
import {
  checkBootAggregate, decodeImaAscii, decodeImaBinary, decodeImaFields, replayImaEntries, type ImaBank, type ImaEntry,
} from '../../measurements/ima';
import { decodeEventLog, replayEventLog } from '../../measurements/eventlog';
import { orBadInput, readMeasurementFile } from './measurement-file';

const DEFAULT_BINARY = '/sys/kernel/security/ima/binary_runtime_measurements';
const DEFAULT_ASCII = '/sys/kernel/security/ima/ascii_runtime_measurements';

interface Options {
  file?: string;
  ascii?: boolean;
  bank: ImaBank;
  json?: boolean;
  eventlog?: string;
}

function entryJson(e: ImaEntry): Record<string, unknown> {
  const f = decodeImaFields(e);
  return {
    offset: e.offset, pcr: e.pcr, template: e.template, templateHash: e.templateHash.toString('hex'),
    fileDigest: `${f.fileDigest.algorithm}:${f.fileDigest.digest.toString('hex')}`, path: f.path,
    ...(f.signature ? { signature: f.signature.toString('hex') } : {}),
    ...(f.buffer ? { buffer: f.buffer.toString('hex') } : {}),
  };
}

async function aggregateCheck(cmd: Command, path: string, first: ImaEntry): Promise<ReturnType<typeof checkBootAggregate>> {
  const buf = await readMeasurementFile(cmd, path, 'firmware event log', 'is there a TPM with an event log');
  const pcrs = orBadInput(cmd, path, () => replayEventLog(decodeEventLog(buf)).pcrs);
  return orBadInput(cmd, path, () => checkBootAggregate(first, pcrs));
}

export function register(program: Command): void {
  program
    .command('ima')
    .description('parse the IMA measurement list, check template hashes and replay PCR 10')
    .option('--file <path>', `list to read (default ${DEFAULT_BINARY}, or the ascii list with --ascii)`)
    .option('--ascii', 'the file is an ascii_runtime_measurements list')
    .option('--bank <bank>', 'PCR bank to replay: sha1 or sha256', 'sha1')
    .option('--eventlog <path>', 'check boot_aggregate against the PCRs this firmware event log replays to')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: Options) {
      if (opts.bank !== 'sha1' && opts.bank !== 'sha256') this.error(`--bank must be sha1 or sha256, not ${opts.bank}`, { exitCode: 2 });
      const path = opts.file ?? (opts.ascii ? DEFAULT_ASCII : DEFAULT_BINARY);
      const buf = await readMeasurementFile(this, path, 'IMA measurement list', 'is IMA enabled (ima_policy= on the kernel command line) and securityfs mounted');
      const entries = orBadInput(this, path, () => (opts.ascii ? decodeImaAscii(buf) : decodeImaBinary(buf)));
      const rows = orBadInput(this, path, () => entries.map(entryJson));
      const replay = await replayImaEntries(entries, { banks: [opts.bank] });
      const aggregate = entries.length > 0 && opts.eventlog ? await aggregateCheck(this, opts.eventlog, entries[0]) : undefined;
      const templates = Object.fromEntries([...new Set(entries.map((e) => e.template))].map((t) => [t, entries.filter((e) => e.template === t).length]));
      if (opts.json) {
        console.log(JSON.stringify({ path, entries: rows, templates, replay, bootAggregate: rows[0]?.fileDigest, bootAggregateCheck: aggregate }, null, 1));
        return;
      }
      for (const r of rows) console.log(`${r.pcr} ${r.templateHash} ${r.template} ${r.fileDigest} ${r.path}`);
      console.log(`${path}: ${entries.length} entries, templates ${Object.entries(templates).map(([t, n]) => `${t}×${n}`).join(', ')}, ${replay.violations} violations`);
      console.log(`template hashes: ${replay.templateHashMismatches === 0 ? 'all match' : `${replay.templateHashMismatches} do not match (first: ${replay.mismatchedEntries.map((m) => `#${m.index}`).join(', ')})`}`);
      console.log(`PCR 10 (${opts.bank}) replayed, untrusted until compared with a quote: ${replay.pcrs[opts.bank]?.[10] ?? 'not extended'}`);
      if (rows[0]) console.log(`first entry: ${rows[0].path} ${rows[0].fileDigest}`);
      if (aggregate) console.log(`boot_aggregate against ${opts.eventlog} (replayed, untrusted): ${aggregate.ok ? 'match' : 'MISMATCH'}: ${aggregate.reason}`);
    });
}
