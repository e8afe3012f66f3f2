import { Reader, Writer } from '../../bytes/cursor';
import { CodecFamily, TypedHandle, TypedItem, TypeNames, TypeRegistry, TypeSpec } from '../type-registry';

/**
 * One PA-TNC attribute family member: its (vendor, type), its name as strongSwan logs it,
 * and its value codec. The IMC that builds an attribute and the IMV that reads it use the
 * same spec. `decode` gets a reader bounded to exactly the attribute value.
 */
export interface AttributeSpec<V> extends TypeSpec {
  /** Short name, e.g. "Product Information"; the full name adds the vendor. */
  readonly name: string;
  decode(r: Reader): V;
  encode(w: Writer, v: V): void;
  /** Human-readable lines for `tnc-agent decode` and debug logs; `names` names the types a value refers to. */
  describe?(v: V, names?: TypeNames): string[];
}

/** A decoded or to-be-encoded attribute. `spec` is absent for unknown types (value = raw bytes). */
export type PaAttribute<V = unknown> = TypedItem<V, AttributeSpec<V>>;

export interface RawAttributeValue {
  raw: Buffer;
}

export class AttributeType<V> extends TypedHandle<V, AttributeSpec<V>> {
  make(value: V, noskip = false): PaAttribute<V> {
    return this.item(value, noskip);
  }
}

/** The typed handle of an attribute spec; the spec reaches decoders only in a family (`familyOf`). */
export const defineAttribute = <V>(spec: AttributeSpec<V>): AttributeType<V> => new AttributeType(spec);

export type AttributeFamily = CodecFamily<AttributeSpec<unknown>>;

/** The PA-TNC attributes a component decodes: the families it was given. */
export class PaCodecs extends TypeRegistry<AttributeSpec<unknown>> {
  constructor(families: readonly AttributeFamily[]) {
    super('attribute', families);
  }
}
