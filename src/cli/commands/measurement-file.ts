import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { escapeText } from '../../measurements/ima/template';
import { ReadLimitError } from '../../measurements/ima/stream';
import { isDecodeError } from '../../bytes/errors';

/** How to word a measurement file's read failures. */
export interface FileContext {
  /** What the file is, e.g. "IMA measurement list". */
  what: string;
  /** True when the path is the securityfs default (not given by --file): then `hint` says what to check. */
  isDefault: boolean;
  hint: string;
  /** --json: the error is also printed as a JSON object on stdout. */
  json?: boolean;
}

/** Ends the command with an error (control bytes escaped), as JSON on stdout too under --json. */
export function fail(cmd: Command, message: string, exitCode: number, json?: boolean): never {
  const text = escapeText(message);
  if (json) console.log(JSON.stringify({ error: text, exitCode }));
  return cmd.error(text, { exitCode });
}

/** The message and exit code for the usual failures of opening, reading or parsing a measurement file; undefined for others. */
export function describeFileError(
  path: string,
  e: unknown,
  ctx: FileContext,
): { message: string; exitCode: number } | undefined {
  if (e instanceof ReadLimitError) return { message: `${e.message}; give --max-bytes to read more`, exitCode: 2 };
  if (isDecodeError(e)) return { message: `${path}: ${e.message}`, exitCode: 2 };
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return {
      message: ctx.isDefault
        ? `${ctx.what} not found at ${path}: ${ctx.hint}, or give --file`
        : `${path}: no such file`,
      exitCode: 1,
    };
  if (code === 'EACCES' || code === 'EPERM')
    return {
      message: `cannot read ${path}: permission denied${ctx.isDefault ? ' (securityfs needs root), or give --file' : ''}`,
      exitCode: 1,
    };
  if (code === 'EISDIR') return { message: `${path} is a directory, not a ${ctx.what}`, exitCode: 1 };
  return undefined;
}

/** Ends the command for a usual file failure (see describeFileError); rethrows the rest. */
export function fileError(cmd: Command, path: string, e: unknown, ctx: FileContext): never {
  const d = describeFileError(path, e, ctx);
  if (!d) throw e;
  return fail(cmd, d.message, d.exitCode, ctx.json);
}

/** Reads a securityfs (or copied) measurement file whole. */
export async function readMeasurementFile(cmd: Command, path: string, ctx: FileContext): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    return fileError(cmd, path, e, ctx);
  }
}

/** Runs a parse step, reporting a DecodeError as bad input (exit 2) with its offset. */
export function orBadInput<T>(cmd: Command, path: string, fn: () => T, json?: boolean): T {
  try {
    return fn();
  } catch (e) {
    if (isDecodeError(e)) fail(cmd, `${path}: ${e.message}`, 2, json);
    throw e;
  }
}
