import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { isDecodeError } from '../../protocol/errors';

/** Reads a securityfs (or copied) measurement file, turning the usual failures into advice. */
export async function readMeasurementFile(cmd: Command, path: string, what: string, hint: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') cmd.error(`${what} not found at ${path}: ${hint}, or give --file`, { exitCode: 1 });
    if (code === 'EACCES' || code === 'EPERM') cmd.error(`cannot read ${path}: permission denied (securityfs needs root), or give --file`, { exitCode: 1 });
    throw e;
  }
}

/** Runs a parse step, reporting a DecodeError as bad input (exit 2) with its offset. */
export function orBadInput<T>(cmd: Command, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isDecodeError(e)) cmd.error(`${path}: ${e.message}`, { exitCode: 2 });
    throw e;
  }
}
