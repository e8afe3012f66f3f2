import { randomBytes } from 'node:crypto';
import { isDecodeError } from '../bytes/errors';
import { answerDecodeError } from '../protocol/pa-tnc/errors';
import type { PaAttribute, PaCodecs } from '../protocol/pa-tnc/registry';
import {
  decodePaMessage,
  encodeAttributeBytes,
  encodePaMessageFrom,
  PA_MSG_HEADER_LEN,
} from '../protocol/pa-tnc/message';
import { PaMessageType, paSubtypeLabel } from '../protocol/vendors';
import type { ConnectionInfo, PaEnvelope, TnccsHost } from '../tnccs/types';
import { ANY_ID } from '../tnccs/types';
import { Segmentation } from './segmentation';
import { connectionReassembly } from './reassembly-budget';

export type Role = 'IMC' | 'IMV';

/** A PA-TNC message received and decoded by an IMC or IMV. Attribute values are parsed, not trusted. */
export interface ReceivedPa {
  readonly type: PaMessageType;
  /** The sending IMV (on an IMC) or IMC (on an IMV). */
  readonly peerId: number;
  readonly messageId: number;
  /** The attributes for the IMC/IMV: segmentation control is handled by the port. */
  readonly attributes: PaAttribute[];
}

/** An attribute with its bytes, encoded once. */
interface Encoded {
  readonly attr: PaAttribute;
  readonly bytes: Buffer;
}

export interface SendOptions {
  peerId?: number;
  exclusive?: boolean;
}

/**
 * One IMC's or IMV's PA-TNC endpoint on one connection: decodes what arrives (answering hostile
 * input with a PA-TNC Error), runs the TCG IF-M segmentation contracts, and packs what it sends
 * into PA-TNC messages that fit the transport, segmenting attributes the contract says to.
 */
export class PaPort {
  private readonly segmentation: Segmentation;

  constructor(
    readonly conn: ConnectionInfo,
    private readonly host: TnccsHost,
    readonly ownId: number,
    readonly role: Role,
    /** The attributes this IMC/IMV reads (its codec set); others arrive raw. */
    readonly codecs: PaCodecs,
  ) {
    this.segmentation = new Segmentation(
      `${role} ${ownId}`,
      role === 'IMC' ? 'IMV' : 'IMC',
      conn.maxPaMessageSize,
      conn.log,
      codecs,
      conn.reassembly ?? connectionReassembly(),
    );
  }

  /** The connection ended: gives up unfinished segment exchanges. */
  close(): void {
    this.segmentation.close();
  }

  private get peerRole(): Role {
    return this.role === 'IMC' ? 'IMV' : 'IMC';
  }

  /** Decodes one PA message; undefined when it was malformed (an error reply has been queued). */
  receive(env: PaEnvelope): ReceivedPa | undefined {
    const peerId = this.role === 'IMC' ? env.validatorId : env.collectorId;
    let msg;
    try {
      msg = decodePaMessage(env.body, this.codecs);
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      this.conn.log.error(this.role, `malformed PA-TNC message from ${this.peerRole} ${peerId}: ${e.message}`);
      // RFC 5792 4.2.8: answer with a PA-TNC Error (never about a PA-TNC Error attribute)
      const reply = answerDecodeError(e, env.body);
      if (reply) this.send(env.type, [reply], { peerId, exclusive: true });
      return undefined;
    }
    this.logReceived(msg.messageId, msg.attributes);
    const seg = this.segmentation.receive(env.type, peerId, msg.attributes);
    if (seg.replies.length > 0) this.send(env.type, seg.replies, { peerId, exclusive: true });
    return { type: env.type, peerId, messageId: msg.messageId, attributes: seg.attributes };
  }

  /** Asks the peer for a segmentation contract for `type` (TCG IF-M Segmentation). */
  requestContract(type: PaMessageType, opts: SendOptions = {}): void {
    this.send(type, [this.segmentation.request(type)], opts);
  }

  /** The Contract Request attribute, for an IMC/IMV that sends it together with other attributes. */
  contractRequest(type: PaMessageType): PaAttribute {
    return this.segmentation.request(type);
  }

  /**
   * Sends attributes as one or more PA-TNC messages of `type`, each within the transport's
   * maximum PA-TNC message size; an attribute the contract says to segment goes as its first
   * envelope, the rest on the peer's Next Segment requests.
   */
  send(type: PaMessageType, attributes: PaAttribute[], opts: SendOptions = {}): void {
    const limit = this.conn.maxPaMessageSize;
    let batch: Encoded[] = [];
    let size = PA_MSG_HEADER_LEN;
    for (const a of attributes) {
      // encoded once: the segmentation plan, the packing and the message share the bytes
      const whole = encodeAttributeBytes(a);
      const out = this.segmentation.outgoing(type, a, whole.length, limit - size);
      if (!out) continue;
      const bytes = out === a ? whole : encodeAttributeBytes(out);
      if (batch.length > 0 && size + bytes.length > limit) {
        this.emit(type, batch, opts);
        batch = [];
        size = PA_MSG_HEADER_LEN;
      }
      if (PA_MSG_HEADER_LEN + bytes.length > limit) {
        this.conn.log.error(
          this.role,
          `attribute ${this.codecs.label(a.vendor, a.type)} of ${bytes.length} bytes exceeds the maximum PA-TNC message size ${limit}: not sent`,
        );
        continue;
      }
      batch.push({ attr: out, bytes });
      size += bytes.length;
    }
    if (batch.length > 0) this.emit(type, batch, opts);
  }

  private emit(type: PaMessageType, attributes: Encoded[], opts: SendOptions): void {
    const messageId = randomBytes(4).readUInt32BE(0);
    const log = this.conn.log;
    if (log.enabled(2)) {
      log.debug('TNC', `creating PA-TNC message with ID 0x${messageId.toString(16).padStart(8, '0')}`);
      for (const { attr } of attributes)
        log.debug('TNC', `creating PA-TNC attribute type ${this.codecs.label(attr.vendor, attr.type)}`);
      log.debug('TNC', `creating PB-PA message type ${paSubtypeLabel(type)}`);
    }
    const body = encodePaMessageFrom(
      messageId,
      attributes.map((a) => a.bytes),
    );
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
    for (const a of attributes)
      log.debug('TNC', `processing PA-TNC attribute type ${this.codecs.label(a.vendor, a.type)}`);
  }
}
