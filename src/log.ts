import { hexDumpLines } from './hexdump';

/**
 * One line per event, tagged with its subsystem as in strongSwan's logs ([TNC] [IMC] [IMV] [PTS]),
 * as text for people or JSON for machines. Level 0 = errors/outcomes only ... 3 = wire-level detail.
 * Hot paths check `enabled(level)` before building a message (formatting the log level discards is waste).
 */
export type Subsystem = 'TNC' | 'IMC' | 'IMV' | 'PTS' | 'TLS' | 'CFG' | 'DMN' | 'LIB' | 'IKE';
export type LogFormat = 'text' | 'json';

export interface LogSink {
  write(line: string): void;
}

export class Logger {
  constructor(
    readonly level = 1,
    readonly format: LogFormat = 'text',
    private readonly sink: LogSink = { write: (l) => process.stderr.write(l + '\n') },
    private readonly fields: Record<string, unknown> = {},
  ) {}

  enabled(level: number): boolean {
    return level <= this.level;
  }

  /** A logger that adds fixed fields (e.g. the connection ID) to every JSON line. */
  with(fields: Record<string, unknown>): Logger {
    return new Logger(this.level, this.format, this.sink, { ...this.fields, ...fields });
  }

  log(level: number, subsys: Subsystem, msg: string, fields?: Record<string, unknown>): void {
    if (level > this.level) return;
    if (this.format === 'json') {
      this.sink.write(
        JSON.stringify({ time: new Date().toISOString(), level, subsys, msg, ...this.fields, ...fields }),
      );
    } else {
      const side = this.fields.side === undefined ? '' : `${String(this.fields.side).padEnd(6)} `;
      this.sink.write(`${side}[${subsys}] ${msg}`);
    }
  }

  error(subsys: Subsystem, msg: string, fields?: Record<string, unknown>): void {
    this.log(0, subsys, msg, fields);
  }
  info(subsys: Subsystem, msg: string, fields?: Record<string, unknown>): void {
    this.log(1, subsys, msg, fields);
  }
  debug(subsys: Subsystem, msg: string, fields?: Record<string, unknown>): void {
    this.log(2, subsys, msg, fields);
  }

  /** `label: => N bytes` and a hex dump (one text line per 16 bytes; one JSON line with the bytes in hex). */
  dump(level: number, subsys: Subsystem, label: string, bytes: Uint8Array): void {
    if (!this.enabled(level)) return;
    const title = `${label}: => ${bytes.length} bytes`;
    if (this.format === 'json') return this.log(level, subsys, title, { hex: Buffer.from(bytes).toString('hex') });
    this.log(level, subsys, title);
    for (const line of hexDumpLines(bytes)) this.log(level, subsys, line);
  }
}

/** Collects lines in memory (tests, and the summary of `attest`). */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
}

export const silentLogger = new Logger(-1);
