import type { Command } from 'commander';
import { decodeEventLog, pcrsExtended, replayEventLog, type UntrustedEventLog } from '../../measurements/eventlog';
import { parsePcrRead, type QuotedPcrs } from '../../measurements/pcrs';
import { orBadInput, readMeasurementFile } from './measurement-file';
import { verifyEventLog } from '../../measurements/verify';

const DEFAULT = '/sys/kernel/security/tpm0/binary_bios_measurements';

/** Compares the replay with PCRs the user trusts (tpm2_pcrread output): verifyEventLog. */
function verification(log: UntrustedEventLog, pcrsText: string | undefined): { ok: boolean; text: string } | undefined {
  if (pcrsText === undefined) return undefined;
  const v = verifyEventLog(log, parsePcrRead(pcrsText) as QuotedPcrs);
  return v.ok
    ? {
        ok: true,
        text: `verified: the log reproduces PCRs ${pcrsExtended(log).join(',')} in ${v.verified.banks.join(', ')}`,
      }
    : { ok: false, text: `NOT verified: ${v.reason}${v.mismatches.map((m) => `\n  ${m.reason}`).join('')}` };
}

function printText(path: string, log: UntrustedEventLog): void {
  const replay = replayEventLog(log);
  console.log(
    `${path}: ${log.format} event log, ${log.events.length} events, banks ${log.algorithms.map((a) => a.name).join(', ')}` +
      (log.startupLocality === undefined ? '' : `, StartupLocality ${log.startupLocality}`),
  );
  for (const e of log.events) {
    const digest = Object.entries(e.digests)
      .map(([b, d]) => `${b}:${d.toString('hex')}`)
      .join(' ');
    console.log(`  #${e.index} PCR ${e.pcr} ${e.typeName} (${e.data.length} bytes) ${digest}`);
  }
  for (const [bank, pcrs] of Object.entries(replay.pcrs)) {
    console.log(`replayed ${bank} (untrusted until compared with a quote):`);
    for (const [pcr, v] of Object.entries(pcrs)) console.log(`  PCR ${pcr}: ${v}`);
  }
  for (const p of replay.problems) console.log(`warning: ${p}`);
}

function toJson(log: UntrustedEventLog): unknown {
  const { specId, ...rest } = log;
  return {
    ...rest,
    specId: specId && { ...specId, vendorInfo: specId.vendorInfo.toString('hex') },
    events: log.events.map((e) => ({
      ...e,
      digests: Object.fromEntries(Object.entries(e.digests).map(([b, d]) => [b, d.toString('hex')])),
      data: e.data.toString('hex'),
    })),
    replay: replayEventLog(log),
  };
}

export function register(program: Command): void {
  program
    .command('eventlog')
    .description('parse the TCG firmware event log and replay it per PCR bank')
    .option('--file <path>', 'event log to read', DEFAULT)
    .option('--pcrs <file>', 'PCR values you trust (tpm2_pcrread output): verify the log against them')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { file: string; json?: boolean; pcrs?: string }) {
      const ctx = {
        what: 'firmware event log',
        isDefault: opts.file === DEFAULT,
        hint: 'is there a TPM with an event log (tpm_tis/tpm_crb loaded)',
        json: opts.json,
      };
      const buf = await readMeasurementFile(this, opts.file, ctx);
      const log = orBadInput(this, opts.file, () => decodeEventLog(buf), opts.json);
      const pcrsText =
        opts.pcrs === undefined
          ? undefined
          : (
              await readMeasurementFile(this, opts.pcrs, {
                what: 'PCR file',
                isDefault: false,
                hint: '',
                json: opts.json,
              })
            ).toString('utf8');
      const v = verification(log, pcrsText);
      if (opts.json)
        console.log(JSON.stringify({ ...(toJson(log) as object), ...(v ? { verification: v } : {}) }, null, 1));
      else printText(opts.file, log);
      if (v && !opts.json) console.log(v.text);
    });
}
