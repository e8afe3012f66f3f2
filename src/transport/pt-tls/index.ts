// PT-TLS (RFC 6876) transport on node:tls: the PB-TNC batch channel for both ends.
export type { BatchTransport } from './batch-transport';
export { connectPtTls } from './client';
export { startPtTlsServer, type PtTlsServer } from './server';
export { TransportError, isTransportError, type TransportErrorCode } from './errors';
export type { PtTlsClientOptions, PtTlsServerOptions } from './options';
