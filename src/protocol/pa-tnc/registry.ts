import { Reader, Writer } from '../cursor';
import { hex32, typeLabel, vendorName } from '../vendors';

/**
 * One PA-TNC attribute family member: its (vendor, type), its name as strongSwan logs it,
 * and its value codec. The IMC that builds an attribute and the IMV that reads it use the
 * same spec. `decode` gets a reader bounded to exactly the attribute value.
 */
export interface AttributeSpec<V> {
  readonly vendor: number;
  readonly type: number;
  /** Short name, e.g. "Product Information"; the full name adds the vendor. */
  readonly name: string;
  decode(r: Reader): V;
  encode(w: Writer, v: V): void;
  /** Human-readable lines for `tnc-agent decode` and debug logs. */
  describe?(v: V): string[];
}

/** A decoded or to-be-encoded attribute. `spec` is absent for unknown types (value = raw bytes). */
export interface PaAttribute<V = unknown> {
  readonly vendor: number;
  readonly type: number;
  readonly noskip: boolean;
  readonly value: V;
  readonly spec?: AttributeSpec<V>;
}

export interface RawAttributeValue {
  raw: Buffer;
}

export class AttributeType<V> {
  constructor(readonly spec: AttributeSpec<V>) {}

  get fullName(): string {
    return `${vendorName(this.spec.vendor)}/${this.spec.name}`;
  }

  make(value: V, noskip = false): PaAttribute<V> {
    return { vendor: this.spec.vendor, type: this.spec.type, noskip, value, spec: this.spec };
  }

  is(a: PaAttribute): a is PaAttribute<V> {
    return a.vendor === this.spec.vendor && a.type === this.spec.type && a.spec !== undefined;
  }
}

const registry = new Map<string, AttributeSpec<unknown>>();
const k = (vendor: number, type: number): string => `${vendor}/${type}`;

/** Registers an attribute spec (once per (vendor, type)) and returns its typed handle. */
export function defineAttribute<V>(spec: AttributeSpec<V>): AttributeType<V> {
  const key = k(spec.vendor, spec.type);
  if (registry.has(key)) throw new Error(`attribute ${attributeName(spec.vendor, spec.type)} defined twice`);
  registry.set(key, spec as AttributeSpec<unknown>);
  return new AttributeType(spec);
}

export function lookupAttribute(vendor: number, type: number): AttributeSpec<unknown> | undefined {
  return registry.get(k(vendor, type));
}

/** Full name as strongSwan prints it, e.g. "IETF/Product Information". */
export function attributeName(vendor: number, type: number): string {
  const spec = registry.get(k(vendor, type));
  return `${vendorName(vendor)}/${spec ? spec.name : `attribute-${hex32(type)}`}`;
}

/** `'IETF/Product Information' 0x000000/0x00000002` */
export function attributeLabel(vendor: number, type: number): string {
  return typeLabel(attributeName(vendor, type), vendor, type);
}

export function registeredAttributes(): AttributeSpec<unknown>[] {
  return [...registry.values()];
}
