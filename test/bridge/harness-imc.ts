import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PaMessageType } from '../../src/protocol/vendors';
import type { ConnectionInfo, ConnectionState, Imc, PaEnvelope, TnccsHost } from '../../src/tnccs/types';

/** The C harness (harness.c) as a child process: one command in, its event lines up to "ok N" out. */
export class Harness {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  private readonly proc: ChildProcessWithoutNullStreams;
  private waiting?: { resolve: (events: string[]) => void };
  /** Lines before this index were handed out by next(). */
  private consumed = 0;
  private exited?: Promise<number | null>;

  constructor(
    harness: string,
    library: string,
    imcId: number,
    env: Record<string, string>,
    mode: 'long' | 'short' | 'noretry' = 'long',
  ) {
    this.proc = spawn(harness, [library, String(imcId), mode], { env: { ...process.env, ...env } });
    createInterface({ input: this.proc.stdout }).on('line', (l) => this.onLine(l));
    createInterface({ input: this.proc.stderr }).on('line', (l) => this.stderr.push(l));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  private onLine(l: string): void {
    this.lines.push(l);
    const w = this.waiting;
    if (w && isEnd(l)) {
      this.waiting = undefined;
      w.resolve(this.take());
    }
  }

  /** The lines not handed out yet, up to and including the first "ok"/"bind" line. */
  private take(): string[] {
    const end = this.lines.findIndex((l, i) => i >= this.consumed && isEnd(l));
    const events = this.lines.slice(this.consumed, end + 1);
    this.consumed = end + 1;
    return events;
  }

  /**
   * Lines up to and including the next "ok"/"bind" line (the start-up or one command). Lines that
   * arrived before the call count: the harness may finish its start-up before anyone asks.
   */
  next(command?: string): Promise<string[]> {
    if (command !== undefined) this.proc.stdin.write(command + '\n');
    else if (this.lines.some((l, i) => i >= this.consumed && isEnd(l))) return Promise.resolve(this.take());
    return new Promise<string[]>((resolve) => (this.waiting = { resolve }));
  }

  /** Waits (a deadline only against a hang) for a line matching `re`, at any time. */
  async line(re: RegExp, deadlineMs = 20_000): Promise<string> {
    for (const end = Date.now() + deadlineMs; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      const l = this.lines.find((x) => re.test(x));
      if (l) return l;
    }
    throw new Error(
      `no harness line matching ${re}; lines:\n${this.lines.join('\n')}\nstderr:\n${this.stderr.join('\n')}`,
    );
  }

  /** Sends quit and waits for the process to end; returns its exit code. */
  async quit(): Promise<number | null> {
    this.proc.stdin.end('quit\n');
    return this.exited!;
  }
}

const isEnd = (l: string): boolean => l.startsWith('ok ') || l.startsWith('bind ');

export const resultOf = (events: string[]): number => Number(events.at(-1)?.split(' ')[1]);

/** "send IMC CONN FLAGS VENDOR SUBTYPE IMV HEX" lines as PA envelopes. */
export function sentEnvelopes(events: string[]): { connectionId: number; env: PaEnvelope }[] {
  return events
    .filter((l) => l.startsWith('send '))
    .map((l) => {
      const [, imc, conn, flags, vendor, subtype, imv, hex] = l.split(' ');
      const env: PaEnvelope = {
        type: { vendor: Number(vendor), subtype: Number(subtype) },
        collectorId: Number(imc),
        validatorId: Number(imv),
        exclusive: (Number(flags) & 0x80000000) !== 0,
        body: Buffer.from(hex === '-' ? '' : hex, 'hex'),
      };
      return { connectionId: Number(conn), env };
    });
}

/** "types V/S ..." as message types. */
export function reportedTypes(events: string[]): PaMessageType[] {
  const line = events.find((l) => l.startsWith('types '));
  return (line?.split(' ').slice(1) ?? []).map((t) => ({
    vendor: Number(t.split('/')[0]),
    subtype: Number(t.split('/')[1]),
  }));
}

const STATE_NUMBER: Record<ConnectionState, number> = {
  Create: 0,
  Handshake: 1,
  Allowed: 2,
  Isolated: 3,
  None: 4,
  Delete: 5,
};

/**
 * Stands in for the TNC client's IF-IMC side inside our PB-TNC client: every Imc call becomes a
 * harness command (so the C harness calls the library, which calls the daemon), and the messages
 * the harness's TNCC received through SendMessageLong go back into the PB-TNC batch.
 */
export class HarnessImc implements Imc {
  readonly name = 'IF-IMC harness';
  private host!: TnccsHost;
  /** What the library reported (TNC_TNCC_ReportMessageTypes*): at its first call to the daemon, not at load. */
  readonly subscriptions: PaMessageType[] = [];

  constructor(private readonly harness: Harness) {}

  initialize(_id: number, host: TnccsHost): void {
    this.host = host;
  }

  private async run(command: string): Promise<void> {
    const events = await this.harness.next(command);
    if (events.some((l) => l.startsWith('types '))) this.subscriptions.splice(0, Infinity, ...reportedTypes(events));
    for (const { connectionId, env } of sentEnvelopes(events)) this.host.send(connectionId, env);
    const result = resultOf(events);
    if (result !== 0) throw new Error(`harness command '${command.slice(0, 40)}' returned IF-IMC result ${result}`);
  }

  notifyConnectionChange(conn: ConnectionInfo, state: ConnectionState): Promise<void> {
    return this.run(
      state === 'Create'
        ? `create ${conn.id} ${conn.maxPaMessageSize} ${conn.language}`
        : `state ${conn.id} ${STATE_NUMBER[state]}`,
    );
  }

  beginHandshake(connectionId: number): Promise<void> {
    return this.run(`begin ${connectionId}`);
  }

  receiveMessage(connectionId: number, m: PaEnvelope): Promise<void> {
    const flags = m.exclusive ? 0x80000000 : 0;
    return this.run(
      `recv ${connectionId} ${flags} ${m.type.vendor} ${m.type.subtype} ${m.validatorId} ${m.collectorId} ${m.body.length ? m.body.toString('hex') : '-'}`,
    );
  }

  batchEnding(connectionId: number): Promise<void> {
    return this.run(`end ${connectionId}`);
  }
}
