/** A file the OS facts collector could not use: missing/unreadable, or not in the expected format. */
export class OsFactsError extends Error {
  override readonly name = 'OsFactsError';

  constructor(
    readonly kind: 'unreadable' | 'malformed',
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${kind === 'unreadable' ? 'cannot read' : 'malformed'} '${path}': ${detail}`);
  }
}
