// RFC 6876 PT-TLS: message codecs, stream framer, SASL PLAIN payload.
export * from './types';
export * from './message';
export * from './framer';
export * from './sasl-plain';
