import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ConfigError } from './config';

/**
 * Creates `dir` one level at a time. Node's recursive mkdir never returns on some special file
 * systems (under /proc it gets ENOENT for a parent that exists and tries again forever).
 */
export async function makeDirs(dir: string, mode = 0o750): Promise<void> {
  let path = '';
  for (const part of resolve(dir).split(sep).filter(Boolean)) {
    path += sep + part;
    try {
      await mkdir(path, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Fails at start, naming the option, when the state directory cannot be created or written. */
export async function checkStateDir(dir: string | undefined): Promise<void> {
  if (!dir) return;
  const probe = join(dir, `.tnc-agent-write-test-${process.pid}`);
  try {
    await makeDirs(dir);
    await writeFile(probe, '', { flag: 'wx', mode: 0o600 });
    await unlink(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(
      '[state] dir',
      `${dir} is not a directory the daemon can write: ${err.syscall ?? 'write'} ${err.path ?? dir}: ${err.code ?? err.message}`,
    );
  }
}
