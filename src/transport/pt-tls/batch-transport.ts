import { PT_TLS_HEADER_LEN } from '../../protocol/pt-tls';
import type { ArIdentities } from '../../tnccs/types';
import type { PtTlsConnection } from './connection';
import { TransportError } from './errors';
import { arIdentitiesOf } from './peer';

/** One TNCCS connection's PB-TNC batch channel (what the PB-TNC client and server code against). */
export interface BatchTransport {
  /** Server side: the client certificate's subject CN or the SASL authcid. Client side: the server certificate's CN. */
  readonly peerIdentity?: string;
  /** Server side: the certificate subject or SASL user, and the client's address. */
  readonly arIdentities?: ArIdentities;
  /** Largest PB-TNC batch the peer accepts. */
  readonly maxBatchSize: number;
  /** Sends one PB-TNC batch in a PT-TLS PB-TNC Batch message. */
  send(batch: Buffer): Promise<void>;
  /** The next PB-TNC batch (untrusted bytes); rejects with a TransportError on close, timeout or error. */
  receive(): Promise<Buffer>;
  close(): Promise<void>;
}

/** RFC 6876 3.6: the data transport phase carries only PB-TNC Batch messages. */
export class PtTlsBatchTransport implements BatchTransport {
  readonly maxBatchSize: number;

  constructor(
    private readonly conn: PtTlsConnection,
    readonly peerIdentity: string | undefined,
    private readonly idleTimeoutMs: number,
  ) {
    // PT-TLS has no size negotiation: we assume the peer's limit is ours (strongSwan's by default)
    this.maxBatchSize = conn.maxMessageSize - PT_TLS_HEADER_LEN;
  }

  get arIdentities(): ArIdentities {
    return arIdentitiesOf(this.conn.socket, this.peerIdentity);
  }

  async send(batch: Buffer): Promise<void> {
    if (batch.length > this.maxBatchSize)
      throw new TransportError(
        'too-large',
        `PB-TNC batch of ${batch.length} bytes exceeds the limit of ${this.maxBatchSize}`,
      );
    await this.conn.send({ kind: 'pbTncBatch', batch });
  }

  async receive(): Promise<Buffer> {
    const m = await this.conn.expect('pbTncBatch', this.idleTimeoutMs, 'data transport');
    return m.value.batch;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
