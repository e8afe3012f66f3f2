import type { Command } from 'commander';
import { DEFAULT_CONFIG } from '../../daemon/config';
import { formatCheck, runDoctor } from '../../daemon/doctor';

/** `tnc-agent doctor`: one ✓/✗ line per check with a hint; exit 1 when a required check fails. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what this host has and lacks for the agent: config, server and certificates, dpkg, SWIMA store, IF-IMC bridge socket, strongSwan TNC plugins, TPM, AK, IMA',
    )
    .option('--config <file>', 'configuration file to check with', DEFAULT_CONFIG)
    .option('--conf-dir <dir>', 'fragment directory (default: conf.d beside --config)')
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      `
Checks the TPM, the AK and IMA as required only when [attestation] enabled = yes, the SWIMA store
when [swima] enabled = yes, and the bridge socket and, with strongSwan installed, its TNC plugins
(tnccs-20, tnc-imc: package tnc-agent-strongswan-plugins) and /etc/tnc_config when [bridge] socket is set.
Exit codes: 0 every required check passed, 1 a required check failed.`,
    )
    .action(async (o: { config: string; confDir?: string; json?: boolean }) => {
      const checks = await runDoctor(o.config, o.confDir);
      const failed = checks.filter((c) => c.required && !c.ok);
      if (o.json) console.log(JSON.stringify(checks, null, 1));
      else {
        for (const c of checks) console.log(formatCheck(c));
        console.log(
          failed.length === 0
            ? 'all required checks passed'
            : `${failed.length} required check(s) failed: ${failed.map((c) => c.name).join(', ')}`,
        );
      }
      process.exitCode = failed.length === 0 ? 0 : 1;
    });
}
