import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

export interface LineProcOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Its own process group, so stop() ends the whole chain (ip netns exec, unshare, chroot, the program). */
  readonly group?: boolean;
  /** How long line() waits by default: a deadline only against a hang. */
  readonly deadlineMs?: number;
  /** More to print when a wait fails (the other processes' last lines). */
  readonly context?: () => string;
}

/** A long-running process of a packaging test whose output (stdout and stderr) is kept line by line. */
export class LineProc {
  readonly lines: string[] = [];
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    argv: readonly [string, ...string[]],
    private readonly o: LineProcOptions = {},
  ) {
    this.child = spawn(argv[0], argv.slice(1), { env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: o.group });
    let rest = '';
    const take = (b: Buffer) => {
      const parts = (rest + b.toString('utf8')).split('\n');
      rest = parts.pop()!;
      this.lines.push(...parts);
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
  }

  /** Waits for a line matching `re` from index `from` on; its match. */
  async line(re: RegExp, from = 0, deadlineMs = this.o.deadlineMs ?? 60_000): Promise<RegExpExecArray> {
    for (const end = Date.now() + deadlineMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      for (let i = from; i < this.lines.length; i++) {
        const m = re.exec(this.lines[i]);
        if (m) return m;
      }
      if (this.child.exitCode !== null) break;
    }
    const last = this.lines.slice(-60).join('\n');
    assert.fail(
      `${this.name}: no line matching ${re} (exit ${this.child.exitCode}):\n${last}\n${this.o.context?.() ?? ''}`,
    );
  }

  text(from = 0): string {
    return this.lines.slice(from).join('\n');
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      if (this.o.group) process.kill(-this.child.pid!, 'SIGTERM');
      else this.child.kill('SIGTERM');
    });
  }
}
