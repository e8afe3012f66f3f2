import { randomBytes } from 'node:crypto';
import { isDecodeError } from '../bytes/errors';
import { answerDecodeError } from '../protocol/pa-tnc/errors';
import type { PaAttribute, PaCodecs } from '../protocol/pa-tnc/registry';
import { Writer } from '../bytes/cursor';
import { decodePaMessage, encodeAttributeBytes, PA_MSG_HEADER_LEN, PA_TNC_VERSION } from '../protocol/pa-tnc/message';
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

/**
 * A PA-TNC message being packed (RFC 5792 4.1): each attribute's bytes are copied in as soon as it
 * is encoded, so a message of thousands of attributes holds one buffer, not one per attribute.
 */
class MessageBody {
  private buf = Buffer.allocUnsafe(4096);
  size = PA_MSG_HEADER_LEN;
  count = 0;
  /** The attributes' type labels, kept only for the level-2 log. */
  readonly labels: string[] = [];

  add(bytes: Buffer, label?: string): void {
    if (this.size + bytes.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.size + bytes.length));
      this.buf.copy(grown, 0, 0, this.size);
      this.buf = grown;
    }
    bytes.copy(this.buf, this.size);
    this.size += bytes.length;
    this.count++;
    if (label !== undefined) this.labels.push(label);
  }

  /** RFC 5792 4.1: version 1, three reserved bytes, the message ID, then the attributes. */
  finish(messageId: number): Buffer {
    this.buf[0] = PA_TNC_VERSION;
    this.buf.fill(0, 1, 4);
    this.buf.writeUInt32BE(messageId >>> 0, 4);
    return this.buf.subarray(0, this.size);
  }
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
  send(type: PaMessageType, attributes: Iterable<PaAttribute>, opts: SendOptions = {}): void {
    for (const env of this.messages(type, attributes, opts)) this.host.send(this.conn.id, env);
  }

  /**
   * As `send`, but each message is made (its attributes pulled from `attributes` and encoded) only
   * when a batch has room for it, where the host can wait (its `sendLater`): a large answer never
   * exists whole. `attributes` must not throw.
   */
  sendLater(type: PaMessageType, attributes: Iterable<PaAttribute>, opts: SendOptions = {}): void {
    const messages = this.messages(type, attributes, opts);
    if (this.host.sendLater) this.host.sendLater(this.conn.id, messages);
    else for (const env of messages) this.host.send(this.conn.id, env);
  }

  private *messages(type: PaMessageType, attributes: Iterable<PaAttribute>, opts: SendOptions): Generator<PaEnvelope> {
    const limit = this.conn.maxPaMessageSize;
    const labelled = this.conn.log.enabled(2);
    let body = new MessageBody();
    // each attribute is encoded into one scratch buffer, then copied into its message
    const scratch = new Writer(256);
    for (const a of attributes) {
      // encoded once: the segmentation plan, the packing and the message share the bytes
      const whole = encodeAttributeBytes(a, scratch);
      const out = this.segmentation.outgoing(type, a, whole.length, limit - body.size);
      if (!out) continue;
      const bytes = out === a ? whole : encodeAttributeBytes(out, scratch);
      if (body.count > 0 && body.size + bytes.length > limit) {
        yield this.envelope(type, body, opts);
        body = new MessageBody();
      }
      if (PA_MSG_HEADER_LEN + bytes.length > limit) {
        this.conn.log.error(
          this.role,
          `attribute ${this.codecs.label(a.vendor, a.type)} of ${bytes.length} bytes exceeds the maximum PA-TNC message size ${limit}: not sent`,
        );
        continue;
      }
      body.add(bytes, labelled ? this.codecs.label(out.vendor, out.type) : undefined);
    }
    if (body.count > 0) yield this.envelope(type, body, opts);
  }

  private envelope(type: PaMessageType, message: MessageBody, opts: SendOptions): PaEnvelope {
    const messageId = randomBytes(4).readUInt32BE(0);
    const log = this.conn.log;
    if (log.enabled(2)) {
      log.debug('TNC', `creating PA-TNC message with ID 0x${messageId.toString(16).padStart(8, '0')}`);
      for (const label of message.labels) log.debug('TNC', `creating PA-TNC attribute type ${label}`);
      log.debug('TNC', `creating PB-PA message type ${paSubtypeLabel(type)}`);
    }
    const body = message.finish(messageId);
    const peer = opts.peerId ?? ANY_ID;
    return this.role === 'IMC'
      ? { type, collectorId: this.ownId, validatorId: peer, exclusive: opts.exclusive ?? false, body }
      : { type, collectorId: peer, validatorId: this.ownId, exclusive: opts.exclusive ?? false, body };
  }

  private logReceived(messageId: number, attributes: PaAttribute[]): void {
    const log = this.conn.log;
    if (!log.enabled(2)) return;
    log.debug('TNC', `processing PA-TNC message with ID 0x${messageId.toString(16).padStart(8, '0')}`);
    for (const a of attributes)
      log.debug('TNC', `processing PA-TNC attribute type ${this.codecs.label(a.vendor, a.type)}`);
  }
}
