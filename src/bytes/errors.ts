/**
 * Typed decode failures. Every decoder throws only DecodeError (or returns normally):
 * `offset` is absolute within the outermost buffer handed to the decoder, so the
 * protocol's own error answers (PB-TNC Invalid Parameter, PA-TNC Error) can cite it.
 */
export type DecodeErrorKind =
  | 'truncated' // fewer bytes than a field or a declared length needs
  | 'overrun' // a declared length runs past its container
  | 'limit' // a declared length exceeds a configured maximum
  | 'version' // unsupported version number
  | 'reserved' // a reserved value where the spec forbids it
  | 'invalid' // a value outside its allowed set or a length the type forbids
  | 'unsupported' // a NOSKIP item of unknown type
  | 'trailing'; // bytes left over where the structure must end

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly kind: DecodeErrorKind,
    /** What was being decoded, e.g. "PB-TNC batch length". */
    readonly what: string,
    /** Absolute byte offset of the offending field. */
    readonly offset: number,
    detail?: string,
  ) {
    super(`${what}: ${detail ?? kind} at offset ${offset}`);
  }
}

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof DecodeError;
}
