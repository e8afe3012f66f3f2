import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../../daemon/config';
import { requestDaemon, type ControlCommand } from '../../daemon/control';
import { Daemon } from '../../daemon/daemon';
import { optionsHelp } from '../../daemon/options';
import { checkStateDir } from '../../daemon/state-dir';

interface DaemonFlags {
  config: string;
  confDir?: string;
  checkConfig?: boolean;
  attestNow?: boolean;
  status?: boolean;
  reload?: boolean;
}

/** Exit codes: 0 stopped cleanly / request done, 1 runtime error, 2 bad configuration or usage. */
export function register(program: Command): void {
  program
    .command('daemon')
    .description(
      'run the endpoint agent as a service: attest on start, on a schedule, on package change and on request; serve the IF-IMC bridge for strongSwan',
    )
    .option('--config <file>', 'configuration file (INI); conf.d/*.conf beside it are read after it', DEFAULT_CONFIG)
    .option('--conf-dir <dir>', 'fragment directory (default: conf.d beside --config)')
    .option('--check-config', 'load the configuration, print it as JSON and exit (2 if it is invalid)')
    .option('--attest-now', 'ask the running daemon to attest now; prints its status when done')
    .option('--status', "print the running daemon's status (last and next attestation)")
    .option('--reload', 'ask the running daemon to re-read its configuration (same as SIGHUP)')
    .addHelpText(
      'after',
      `
Signals: SIGHUP reloads the configuration (a bad one is logged and the old one kept), SIGUSR1 attests now,
SIGTERM/SIGINT stop after the attestation in progress. Logs go to stdout ([log] format text or json).
Exit codes: 0 clean stop or request done, 1 runtime error, 2 invalid configuration.

Configuration options (INI; # comments; later files override earlier ones):
${optionsHelp()}

Every option is explained in docs/configuration.md.`,
    )
    .action(async (f: DaemonFlags) => {
      if (f.checkConfig) return checkConfig(f);
      const request: ControlCommand | undefined = f.attestNow
        ? 'attest'
        : f.status
          ? 'status'
          : f.reload
            ? 'reload'
            : undefined;
      if (request) return controlRequest(f, request);
      await runDaemon(f);
    });
}

async function checkConfig(f: DaemonFlags): Promise<void> {
  try {
    const config = await loadConfig(f.config, f.confDir);
    await checkStateDir(config.stateDir);
    console.log(JSON.stringify(config, null, 1));
  } catch (e) {
    console.error(`tnc-agent: ${(e as Error).message}`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  }
}

async function controlRequest(f: DaemonFlags, cmd: ControlCommand): Promise<void> {
  const socket = (await loadConfig(f.config, f.confDir)).control.socket;
  if (!socket)
    throw new Error('no [control] socket configured: signal the daemon instead (SIGUSR1 attests, SIGHUP reloads)');
  const answer = await requestDaemon(socket, cmd);
  console.log(JSON.stringify(answer, null, 1));
  if (answer.error || (cmd === 'attest' && (answer.last as { ok?: boolean } | null)?.ok === false))
    process.exitCode = 1;
}

async function runDaemon(f: DaemonFlags): Promise<void> {
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ configFile: f.config, confDir: f.confDir });
  } catch (e) {
    console.error(`tnc-agent: ${(e as Error).message}`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  }
  // signal handlers do not keep Node alive: an idle daemon with no socket still has to wait
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = () => {
    clearInterval(keepAlive);
    daemon.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGHUP', () => void daemon.reload());
  process.on('SIGUSR1', () => void daemon.requestAttestation('SIGUSR1'));
}
