import { Reader, Writer } from '../../bytes/cursor';
import { CodecFamily, TypedHandle, TypedItem, TypeRegistry, TypeSpec } from '../type-registry';

/**
 * RFC 5793 4.2 and 4.3-4.11: what a receiver checks in a message header before it decodes the
 * value. `noskip`: 'set'/'clear' = the flag must have that state, 'any' = either.
 * `length` counts the whole message, 12-byte header included.
 */
export interface PbMessageRules {
  readonly noskip: 'set' | 'clear' | 'any';
  readonly minLength: number;
  readonly exactLength?: boolean;
  /** Allowed only in a RESULT batch (RFC 5793 4.6, 4.7, 4.8, 4.11). */
  readonly resultOnly?: boolean;
  /** strongSwan treats this type as unknown when NOSKIP is set (PB-Experimental). */
  readonly unsupportedWithNoskip?: boolean;
}

/** One PB-TNC message type: (vendor, type), its name as strongSwan logs it, rules and value codec. */
export interface PbMessageSpec<V> extends PbMessageRules, TypeSpec {
  /** Short name, e.g. "PB-PA"; the full name adds the vendor: "IETF/PB-PA". */
  readonly name: string;
  /** Gets a reader bounded to exactly the message value; must consume it all. */
  decode(r: Reader): V;
  encode(w: Writer, v: V): void;
  /** Human-readable lines for `tnc-agent decode` and debug logs. */
  describe?(v: V): string[];
}

/** A decoded or to-be-encoded message. `spec` is absent for skipped unknown types (value = raw bytes). */
export type PbMessage<V = unknown> = TypedItem<V, PbMessageSpec<V>>;

export interface RawMessageValue {
  raw: Buffer;
}

export class PbMessageType<V> extends TypedHandle<V, PbMessageSpec<V>> {
  /** A message with the NOSKIP flag its rules want ('any' → clear unless asked). */
  make(value: V, noskip = this.spec.noskip === 'set'): PbMessage<V> {
    return this.item(value, noskip);
  }
}

/** The typed handle of a message spec; the spec reaches decoders only in a family (`familyOf`). */
export const definePbMessage = <V>(spec: PbMessageSpec<V>): PbMessageType<V> => new PbMessageType(spec);

export type PbMessageFamily = CodecFamily<PbMessageSpec<unknown>>;

/** The PB-TNC messages a TNC client or server decodes: the families it was given. */
export class PbCodecs extends TypeRegistry<PbMessageSpec<unknown>> {
  constructor(families: readonly PbMessageFamily[]) {
    super('message', families);
  }
}
