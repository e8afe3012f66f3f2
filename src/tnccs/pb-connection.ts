import { isDecodeError } from '../bytes/errors';
import {
  batchTypeName,
  decodeBatch,
  DecodedPbBatch,
  encodeBatch,
  PB_BATCH,
  PbBatchType,
  PbRole,
} from '../protocol/pb-tnc/batch';
import type { PbCodecs, PbMessage } from '../protocol/pb-tnc/registry';
import { pbMessageSize } from '../protocol/pb-tnc/message';
import { pbErrorFor, PbErrorMsg } from '../protocol/pb-tnc/ietf/error';
import { PB_ERROR } from '../protocol/pb-tnc/errors';
import type { Logger } from '../log';
import { nextPbState, PbState } from './pb-state';
import type { BatchChannel } from './types';

/** A PB-TNC protocol failure that ended the connection (the PB-Error has been sent where possible). */
export class PbProtocolError extends Error {
  override readonly name = 'PbProtocolError';
}

/**
 * One PB-TNC connection seen from one side: sends and receives whole batches, keeps the RFC 5793
 * state machine, logs as strongSwan does, and answers a bad batch with PB-Error + CLOSE.
 */
export class PbConnection {
  state: PbState = 'Init';
  /** Number of batches sent and received, and PB-TNC bytes each way (for summaries and benches). */
  readonly stats = { sent: 0, received: 0, bytesOut: 0, bytesIn: 0 };

  constructor(
    readonly role: PbRole,
    readonly channel: BatchChannel,
    readonly connectionId: number,
    readonly log: Logger,
    /** The message types this end reads; others are unknown (RFC 5793 4.2: skipped, or refused with NOSKIP). */
    readonly codecs: PbCodecs,
  ) {}

  private get peer(): PbRole {
    return this.role === 'client' ? 'server' : 'client';
  }

  async send(type: PbBatchType, messages: PbMessage[]): Promise<void> {
    this.transition(type);
    const name = batchTypeName(type);
    this.log.debug('TNC', `creating PB-TNC ${name} batch`);
    if (this.log.enabled(2))
      for (const m of messages) this.log.debug('TNC', `adding ${this.codecs.name(m.vendor, m.type)} message`);
    const bytes = encodeBatch({ type, fromServer: this.role === 'server', messages });
    this.log.info('TNC', `sending PB-TNC ${name} batch (${bytes.length} bytes) for Connection ID ${this.connectionId}`);
    this.stats.sent++;
    this.stats.bytesOut += bytes.length;
    await this.channel.send(bytes);
  }

  /** The next batch from the peer, checked against the state machine. */
  async receive(): Promise<DecodedPbBatch> {
    const bytes = await this.channel.receive();
    this.stats.received++;
    this.stats.bytesIn += bytes.length;
    this.log.info('TNC', `received TNCCS batch (${bytes.length} bytes)`);
    this.log.debug('TNC', `TNC ${this.role} is handling inbound connection`);
    const batch = await this.decode(bytes);
    this.log.info('TNC', `processing PB-TNC ${batchTypeName(batch.type)} batch for Connection ID ${this.connectionId}`);
    if (nextPbState(this.state, batch.type) === undefined) {
      await this.fail(
        unexpectedBatch(),
        `unexpected PB-TNC ${batchTypeName(batch.type)} batch in state '${this.state}'`,
      );
    }
    this.transition(batch.type);
    if (this.log.enabled(2)) {
      for (const m of batch.messages)
        this.log.debug('TNC', `processing ${this.codecs.name(m.vendor, m.type)} message (${pbMessageSize(m)} bytes)`);
    }
    return batch;
  }

  private async decode(bytes: Buffer): Promise<DecodedPbBatch> {
    try {
      return decodeBatch(bytes, this.codecs, { sender: this.peer });
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      return this.fail(pbErrorFor(e), `malformed PB-TNC batch: ${e.message}`);
    }
  }

  /** Sends a CLOSE carrying the PB-Error (best effort), closes the transport and throws. */
  async fail(error: PbMessage, why: string): Promise<never> {
    this.log.error('TNC', why);
    if (this.state !== 'End') {
      try {
        await this.send(PB_BATCH.CLOSE, [error]);
      } catch {
        // the transport may already be gone; the error below says what happened
      }
    }
    await this.channel.close();
    throw new PbProtocolError(why);
  }

  private transition(type: PbBatchType): void {
    const next = nextPbState(this.state, type);
    if (next === undefined)
      throw new PbProtocolError(`${batchTypeName(type)} batch not allowed in state '${this.state}'`);
    if (next !== this.state) this.log.debug('TNC', `PB-TNC state transition from '${this.state}' to '${next}'`);
    this.state = next;
  }
}

function unexpectedBatch(): PbMessage {
  return PbErrorMsg.make({ fatal: true, vendor: 0, code: PB_ERROR.UNEXPECTED_BATCH_TYPE, params: { offset: 0 } });
}
