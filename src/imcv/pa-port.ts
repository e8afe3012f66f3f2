import { randomBytes } from 'node:crypto';
import { isDecodeError } from '../protocol/errors';
import { answerDecodeError } from '../protocol/pa-tnc/errors';
import { PaAttribute, attributeLabel } from '../protocol/pa-tnc/registry';
import { decodePaMessage, encodePaMessage, PA_MSG_HEADER_LEN, attributeSize } from '../protocol/pa-tnc/message';
import { PaMessageType, paSubtypeLabel } from '../protocol/vendors';
import type { ConnectionInfo, PaEnvelope, TnccsHost } from '../tnccs/types';
import { ANY_ID } from '../tnccs/types';

export type Role = 'IMC' | 'IMV';

/** A PA-TNC message received and decoded by an IMC or IMV. Attribute values are parsed, not trusted. */
export interface ReceivedPa {
  readonly type: PaMessageType;
  /** The sending IMV (on an IMC) or IMC (on an IMV). */
  readonly peerId: number;
  readonly messageId: number;
  readonly attributes: PaAttribute[];
}

/**
 * One IMC's or IMV's PA-TNC endpoint on one connection: decodes what arrives (answering hostile
 * input with a PA-TNC Error), and packs what it sends into PA-TNC messages that fit the transport.
 */
export class PaPort {
  constructor(
    readonly conn: ConnectionInfo,
    private readonly host: TnccsHost,
    readonly ownId: number,
    readonly role: Role,
  ) {}

  /** Decodes one PA message; undefined when it was malformed (an error reply has been queued). */
  receive(env: PaEnvelope): ReceivedPa | undefined {
    const peerId = this.role === 'IMC' ? env.validatorId : env.collectorId;
    try {
      const msg = decodePaMessage(env.body);
      this.logReceived(msg.messageId, msg.attributes);
      return { type: env.type, peerId, messageId: msg.messageId, attributes: msg.attributes };
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      this.conn.log.error(this.role, `malformed PA-TNC message from ${this.role === 'IMC' ? 'IMV' : 'IMC'} ${peerId}: ${e.message}`);
      // RFC 5792 4.2.8: answer with a PA-TNC Error (never about a PA-TNC Error attribute)
      const reply = answerDecodeError(e, env.body);
      if (reply) this.send(env.type, [reply], { peerId, exclusive: true });
      return undefined;
    }
  }

  /**
   * Sends attributes as one or more PA-TNC messages of `type`, each within the transport's
   * maximum PA-TNC message size (attributes are never split here; segmentation is the caller's).
   */
  send(type: PaMessageType, attributes: PaAttribute[], opts: { peerId?: number; exclusive?: boolean } = {}): void {
    const limit = this.conn.maxPaMessageSize;
    let batch: PaAttribute[] = [];
    let size = PA_MSG_HEADER_LEN;
    for (const a of attributes) {
      const n = attributeSize(a);
      if (batch.length > 0 && size + n > limit) {
        this.emit(type, batch, opts);
        batch = [];
        size = PA_MSG_HEADER_LEN;
      }
      batch.push(a);
      size += n;
    }
    if (batch.length > 0) this.emit(type, batch, opts);
  }

  private emit(type: PaMessageType, attributes: PaAttribute[], opts: { peerId?: number; exclusive?: boolean }): void {
    const messageId = randomBytes(4).readUInt32BE(0);
    const log = this.conn.log;
    if (log.enabled(2)) {
      log.debug('TNC', `creating PA-TNC message with ID 0x${messageId.toString(16).padStart(8, '0')}`);
      for (const a of attributes) log.debug('TNC', `creating PA-TNC attribute type ${attributeLabel(a.vendor, a.type)}`);
      log.debug('TNC', `creating PB-PA message type ${paSubtypeLabel(type)}`);
    }
    const body = encodePaMessage({ messageId, attributes });
    const peer = opts.peerId ?? ANY_ID;
    const env: PaEnvelope =
      this.role === 'IMC'
        ? { type, collectorId: this.ownId, validatorId: peer, exclusive: opts.exclusive ?? false, body }
        : { type, collectorId: peer, validatorId: this.ownId, exclusive: opts.exclusive ?? false, body };
    this.host.send(this.conn.id, env);
  }

  private logReceived(messageId: number, attributes: PaAttribute[]): void {
    const log = this.conn.log;
    if (!log.enabled(2)) return;
    log.debug('TNC', `processing PA-TNC message with ID 0x${messageId.toString(16).padStart(8, '0')}`);
    for (const a of attributes) log.debug('TNC', `processing PA-TNC attribute type ${attributeLabel(a.vendor, a.type)}`);
  }
}
