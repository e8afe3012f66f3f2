import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** PEM files of one TLS end: its certificate and key (optional for a SASL client) and the CA it trusts. */
export interface TlsFiles {
  cert?: string;
  key?: string;
  ca: string;
}

/**
 * Reads and parses each file, so that a wrong one fails here, named (its content is never printed);
 * returns the files' PEM text in place of their paths.
 */
export async function readTlsFiles(o: TlsFiles): Promise<TlsFiles> {
  const cert = await readNamed(o.cert, 'certificate');
  const key = await readNamed(o.key, 'key');
  const ca = (await readNamed(o.ca, 'CA certificate'))!;
  checkPem(o.cert, 'certificate', cert, (t) => new X509Certificate(t));
  checkPem(o.key, 'key', key, (t) => createPrivateKey(t));
  checkPem(o.ca, 'CA certificate', ca, (t) => new X509Certificate(t));
  return { cert, key, ca };
}

async function readNamed(path: string | undefined, what: string): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e });
  }
}

function checkPem(
  path: string | undefined,
  what: string,
  text: string | undefined,
  parse: (t: string) => unknown,
): void {
  if (text === undefined) return;
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new Error(`${what} '${path}' is not PEM (no -----BEGIN line)`);
  try {
    parse(text);
  } catch (e) {
    throw new Error(`${what} '${path}' cannot be used: ${(e as Error).message}`, { cause: e });
  }
}
