import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger, type LogSink } from '../log';
import { attest } from '../agent/attest';
import { evaluationName, type Imc } from '../tnccs/types';
import { loadConfig, type AgentConfig } from './config';
import { startControlServer, type ControlCommand, type ControlServer } from './control';
import { formatDuration } from './options';
import { openParts, osSources, partsKey, type DaemonParts } from './parts';
import { Scheduler } from './scheduler';
import { watchImaGrowth } from './ima-watch';
import { checkStateDir, makeDirs } from './state-dir';
import { settler, watchSettled, type Settler } from './watch';

export interface DaemonOptions {
  configFile?: string;
  confDir?: string;
  /** IMCs besides the configured OS, SWIMA and Attestation IMCs, made for each attestation (tests). */
  moreImcs?: (config: AgentConfig, log: Logger) => Imc[];
  /** Where log lines go; default stdout (journald). */
  sink?: LogSink;
  /** Jitter source for the retry backoff, in [0,1); default Math.random. */
  random?: () => number;
}

export interface LastAttestation {
  time: string;
  reason: string;
  ok: boolean;
  access?: string;
  evaluation?: string;
  reasons?: string[];
  error?: string;
}

export interface DaemonStatus {
  server: string | null;
  config: readonly string[];
  last: LastAttestation | null;
  next: string | null;
  consecutiveFailures: number;
}

const stdoutSink: LogSink = { write: (l) => process.stdout.write(l + '\n') };

/** `tnc-agent daemon`: attests on start, on a schedule, on package change and on request. */
export class Daemon {
  private log: Logger;
  private readonly scheduler: Scheduler;
  private control?: { path: string; server: ControlServer };
  private watcher?: { close(): void };
  private imaWatch?: { close(): void };
  private parts?: { key: string; p: Promise<DaemonParts> };
  private settle?: Settler;
  private last?: LastAttestation;

  private constructor(
    private config: AgentConfig,
    private readonly o: DaemonOptions,
  ) {
    this.log = this.makeLogger();
    this.scheduler = new Scheduler(
      (r) => this.attestOnce(r),
      () => this.config.schedule,
      (p) => this.planned(p),
      o.random,
    );
  }

  /** Loads the configuration (a ConfigError if it is bad), opens the collectors and the bridge, and starts. */
  static async start(o: DaemonOptions = {}): Promise<Daemon> {
    const config = await loadConfig(o.configFile, o.confDir);
    await checkStateDir(config.stateDir);
    const d = new Daemon(config, o);
    try {
      await d.ensureParts();
    } catch (e) {
      await d.stop();
      throw e;
    }
    await d.apply('start');
    return d;
  }

  /** The hook for "something changed" (SWIMA inventory, a request): attests now or right after the current run. */
  requestAttestation(reason: string): Promise<void> {
    if (!this.config.server.address) return Promise.resolve();
    return this.scheduler.trigger(reason);
  }

  /** SIGHUP: re-reads the configuration; a bad one is logged and the old one kept. */
  async reload(): Promise<boolean> {
    let next: AgentConfig;
    try {
      next = await loadConfig(this.o.configFile, this.o.confDir);
      await checkStateDir(next.stateDir);
    } catch (e) {
      this.log.error('CFG', `reload failed, keeping the running configuration: ${(e as Error).message}`);
      return false;
    }
    this.watcher?.close();
    this.imaWatch?.close();
    this.settle?.cancel();
    // a run in progress still uses the open TPM and SWIMA store
    await this.scheduler.idle();
    this.config = next;
    this.log = this.makeLogger();
    await this.ensureParts().catch((e: Error) =>
      this.log.error('DMN', `cannot open the collectors: ${e.message} (each attestation tries again)`),
    );
    await this.apply('configuration reloaded');
    return true;
  }

  status(): DaemonStatus {
    const a = this.config.server.address;
    return {
      server: a ? `${a.host}:${a.port}` : null,
      config: this.config.files,
      last: this.last ?? null,
      next: this.scheduler.nextRun?.toISOString() ?? null,
      consecutiveFailures: this.scheduler.consecutiveFailures,
    };
  }

  /** SIGTERM: stops the timer, the watchers and the sockets, waits for a run in progress, closes the TPM and store. */
  async stop(): Promise<void> {
    this.watcher?.close();
    this.imaWatch?.close();
    this.settle?.cancel();
    await this.scheduler.stop();
    await this.parts?.p.then(
      (p) => p.close(),
      () => undefined,
    );
    await this.control?.server.close();
    this.log.info('DMN', 'stopped');
  }

  /** The open parts for the running configuration: reused while it leaves them alone, else reopened. */
  private ensureParts(): Promise<DaemonParts> {
    const c = this.config;
    const key = partsKey(c);
    if (this.parts?.key === key) return this.parts.p;
    const old = this.parts?.p;
    const p = (async () => {
      await old?.then(
        (o) => o.close(),
        () => undefined,
      );
      return openParts(c, this.log, () => this.settle?.poke());
    })();
    this.parts = { key, p };
    p.catch(() => {
      if (this.parts?.p === p) this.parts = undefined;
    });
    return p;
  }

  private makeLogger(): Logger {
    return new Logger(this.config.log.level, this.config.log.format, this.o.sink ?? stdoutSink);
  }

  private async apply(reason: string): Promise<void> {
    const c = this.config;
    this.log.info('CFG', `configuration from ${c.files.join(', ')}`);
    await this.bindControl(c.control.socket);
    const changed = () => {
      void this.requestAttestation('installed packages changed');
      void this.retryVpnHandshakes('installed packages changed');
    };
    // with SWIMA the live collector watches dpkg and pokes the settler after each pass with events
    if (c.schedule.onPackageChange && c.swima.enabled) this.settle = settler(c.schedule.settleMs, changed);
    else if (c.schedule.onPackageChange) this.watcher = watchSettled(c.os.dpkgStatus, c.schedule.settleMs, changed);
    if (c.bridge.socket && c.attestation.imaPollMs > 0) {
      this.imaWatch = watchImaGrowth(
        c.attestation.imaList,
        c.attestation.imaPollMs,
        () => void this.retryVpnHandshakes('new IMA measurements'),
      );
    }
    if (!c.server.address) {
      this.log.info(
        'DMN',
        `no [server] address configured in ${c.files[0]}: idle until the configuration is reloaded (SIGHUP)`,
      );
      return;
    }
    if (reason !== 'start' || c.schedule.onStart) void this.scheduler.trigger(reason);
    else if (c.schedule.intervalMs > 0) this.scheduler.after(c.schedule.intervalMs, 'schedule');
  }

  /** docs/vpn.md: an established VPN connection is re-assessed when the host changes (IF-IMC RequestHandshakeRetry). */
  private async retryVpnHandshakes(reason: string): Promise<void> {
    const parts = await this.parts?.p.catch(() => undefined);
    parts?.bridge?.requestRetry(reason);
  }

  private async bindControl(path: string | undefined): Promise<void> {
    if (this.control?.path === path) return;
    // not awaited: a `reload` request is still being answered on the old socket
    void this.control?.server.close();
    this.control = path ? { path, server: await startControlServer(path, (cmd) => this.onControl(cmd)) } : undefined;
    if (path) this.log.info('DMN', `control socket ${path}`);
  }

  private async onControl(cmd: ControlCommand): Promise<unknown> {
    if (cmd === 'reload') return { reloaded: await this.reload(), ...this.status() };
    if (cmd === 'attest') {
      if (!this.config.server.address) return { error: 'no server configured', ...this.status() };
      await this.requestAttestation('requested on the control socket');
    }
    return this.status();
  }

  private async attestOnce(reason: string): Promise<boolean> {
    const c = this.config;
    const a = c.server.address!;
    this.log.info('DMN', `attesting to ${a.host}:${a.port} (${reason})`);
    const time = new Date().toISOString();
    try {
      const s = c.server;
      if (!s.ca) throw new Error('no [server] ca configured: the server certificate cannot be verified');
      const parts = await this.ensureParts();
      const outcome = await attest({
        host: a.host,
        port: a.port,
        servername: s.servername,
        cert: s.cert,
        key: s.key,
        ca: s.ca,
        language: s.language,
        log: this.log,
        limits: s.limits,
        os: osSources(c, parts.deviceId),
        collectors: parts.collectors,
        moreImcs: this.o.moreImcs?.(c, this.log),
      });
      const evaluation = outcome.assessment === undefined ? 'none' : evaluationName(outcome.assessment);
      const access = outcome.access ?? 'none';
      await this.record({ time, reason, ok: true, access, evaluation, reasons: outcome.reasons });
      this.log.info('DMN', `attestation done: recommendation '${access}', evaluation '${evaluation}'`);
      return true;
    } catch (e) {
      await this.record({ time, reason, ok: false, error: (e as Error).message });
      this.log.error('DMN', `attestation failed: ${(e as Error).message}`);
      return false;
    }
  }

  private planned(p: { delayMs: number; kind: 'interval' | 'retry'; failures: number }): void {
    if (p.kind === 'retry')
      this.log.info('DMN', `retrying in ${formatDuration(p.delayMs)} (${p.failures} consecutive failures)`);
    else if (p.delayMs > 0) this.log.info('DMN', `next attestation in ${formatDuration(p.delayMs)}`);
  }

  /** Keeps the last result in memory and in <state dir>/last-attestation.json (written atomically). */
  private async record(r: LastAttestation): Promise<void> {
    this.last = r;
    const dir = this.config.stateDir;
    if (!dir) return;
    try {
      await makeDirs(dir);
      const file = join(dir, 'last-attestation.json');
      // 0640 whatever the umask: the reasons may name the host's software
      await writeFile(`${file}.tmp`, JSON.stringify(r, null, 1) + '\n', { mode: 0o640 });
      await chmod(`${file}.tmp`, 0o640);
      await rename(`${file}.tmp`, file);
    } catch (e) {
      this.log.error('DMN', `cannot save the result in ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
}
