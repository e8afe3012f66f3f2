import { Reader, Writer } from '../../bytes/cursor';
import { TypedHandle, TypedItem, TypeRegistry, TypeSpec } from '../type-registry';

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
  /** Human-readable lines for `tnc-agent decode` and debug logs. */
  describe?(v: V): string[];
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

const registry = new TypeRegistry<AttributeSpec<unknown>>('attribute');

/** Registers an attribute spec (once per (vendor, type)) and returns its typed handle. */
export function defineAttribute<V>(spec: AttributeSpec<V>): AttributeType<V> {
  registry.define(spec as AttributeSpec<unknown>);
  return new AttributeType(spec);
}

/** Vendors whose PA-TNC attributes we can decode (strongSwan's "added <vendor> attributes"). */
export const attributeVendors = (): number[] => registry.vendors();

export const lookupAttribute = (vendor: number, type: number): AttributeSpec<unknown> | undefined =>
  registry.lookup(vendor, type);
/** Full name as strongSwan prints it, e.g. "IETF/Product Information". */
export const attributeName = (vendor: number, type: number): string => registry.name(vendor, type);
/** `'IETF/Product Information' 0x000000/0x00000002` */
export const attributeLabel = (vendor: number, type: number): string => registry.label(vendor, type);
