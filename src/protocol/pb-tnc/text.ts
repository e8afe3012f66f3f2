import { TextDecoder } from 'node:util';
import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** n bytes of UTF-8 text without NUL (RFC 5793 4.8, 4.10: strings carry no terminator). */
export function readText(r: Reader, n: number, what: string): string {
  const at = r.offset;
  const b = r.bytes(n, what);
  const nul = b.indexOf(0);
  if (nul >= 0) throw new DecodeError('invalid', what, at + nul, 'contains a NUL byte');
  try {
    return utf8.decode(b);
  } catch {
    throw new DecodeError('invalid', what, at, 'not UTF-8');
  }
}

/** A text in a language: RFC 5793 4.8 (Remediation String) and 4.11 (Reason String) share it. */
export interface LangString {
  text: string;
  /** RFC 5646 language tag, '' if not given. */
  language: string;
}

// RFC 5793 4.8/4.11: u32 string length, UTF-8 string, u8 language code length, language code
export function readLangString(r: Reader, what: string): LangString {
  const at = r.offset;
  const n = r.u32(`${what} length`);
  if (n > r.remaining)
    throw new DecodeError('overrun', `${what} length`, at, `length ${n} exceeds the ${r.remaining} bytes left`);
  const text = readText(r, n, what);
  const language = readText(r, r.u8(`${what} language code length`), `${what} language code`);
  return { text, language };
}

export function writeLangString(w: Writer, v: LangString): void {
  w.lengthPrefixed(4, Buffer.from(v.text, 'utf8')).lengthPrefixed(1, Buffer.from(v.language, 'utf8'));
}
