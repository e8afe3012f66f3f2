import { longTimeout, type LongTimer } from './timer';

/**
 * When the daemon attests: on demand (start, request, change), every `intervalMs` after a success,
 * and after a failure again with exponential backoff (retryMinMs doubling up to retryMaxMs, with
 * jitter so that a fleet does not come back all at once). One attestation at a time; requests
 * during a run are coalesced into one more run right after it.
 */
export interface Timing {
  readonly intervalMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** Delay before retry number `failures` (1 = after the first failure); `random` in [0,1) jitters it down by up to half. */
export function backoffDelay(failures: number, t: Timing, random: () => number): number {
  const base = Math.min(t.retryMaxMs, t.retryMinMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.max(1, Math.round(base * (0.5 + random() / 2)));
}

export type Job = (reason: string) => Promise<boolean>;
export type Planned = (p: { delayMs: number; kind: 'interval' | 'retry'; failures: number }) => void;

export class Scheduler {
  private timer?: LongTimer;
  private running?: Promise<void>;
  private queued?: Promise<void>;
  private stopped = false;
  private failures = 0;
  private next?: Date;

  constructor(
    private readonly job: Job,
    private readonly timing: () => Timing,
    private readonly planned: Planned,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs the job now (or right after the current run); resolves when the run covering this request ends. */
  trigger(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      return (this.queued ??= this.running.then(() => {
        this.queued = undefined;
        return this.trigger(reason);
      }));
    }
    this.clear();
    const run: Promise<void> = this.runOnce(reason).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  get nextRun(): Date | undefined {
    return this.next;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Cancels the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.idle();
  }

  /** Resolves when no run is in progress or queued (the timer stays planned). */
  async idle(): Promise<void> {
    await this.queued;
    await this.running;
  }

  private async runOnce(reason: string): Promise<void> {
    const ok = await this.job(reason).catch(() => false);
    this.failures = ok ? 0 : this.failures + 1;
    if (this.stopped) return;
    const t = this.timing();
    const delayMs = ok ? t.intervalMs : backoffDelay(this.failures, t, this.random);
    this.planned({ delayMs, kind: ok ? 'interval' : 'retry', failures: this.failures });
    if (delayMs > 0) this.after(delayMs, ok ? 'schedule' : 'retry');
  }

  /** Plans a run in `delayMs` (replacing any planned one). */
  after(delayMs: number, reason: string): void {
    this.clear();
    this.next = new Date(Date.now() + delayMs);
    this.timer = longTimeout(() => void this.trigger(reason), delayMs);
  }

  private clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.next = undefined;
  }
}
