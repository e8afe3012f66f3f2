// PB-TNC (RFC 5793): batches, messages and the registry of message types.
export * from './errors';
export * from './registry';
export * from './message';
export * from './batch';
export * from './text';
export * from './ietf';
export * from './tcg';
export * from './ita';
