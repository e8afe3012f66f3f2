/** Why a PT-TLS connection stopped: what `BatchTransport.receive()` and the connect/serve calls reject with. */
export type TransportErrorCode =
  | 'closed' // the peer or we closed the connection
  | 'timeout' // handshake, negotiation or idle timeout
  | 'protocol' // the peer broke PT-TLS; we sent it a PT-TLS Error and closed
  | 'peer-error' // the peer sent us a PT-TLS Error
  | 'auth' // SASL or certificate authentication failed
  | 'tls' // TLS handshake or record failure
  | 'io' // socket failure
  | 'too-large'; // a batch over the message size limit

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}
