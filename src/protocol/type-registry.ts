import { hex32, typeLabel, vendorName } from './vendors';

/** What every registered message or attribute type has: its (vendor, type) and its short name. */
export interface TypeSpec {
  readonly vendor: number;
  readonly type: number;
  readonly name: string;
}

/**
 * Specs of one family (PA-TNC attributes, PB-TNC messages) by (vendor, type), each defined once,
 * with names as strongSwan prints them: "IETF/Product Information", and labels with the numbers.
 */
export class TypeRegistry<S extends TypeSpec> {
  private readonly specs = new Map<string, S>();

  constructor(
    /** What the family calls an unknown type: "attribute", "message". */
    private readonly unknown: string,
  ) {}

  define(spec: S): S {
    const key = k(spec.vendor, spec.type);
    if (this.specs.has(key)) throw new Error(`${this.name(spec.vendor, spec.type)} defined twice`);
    this.specs.set(key, spec);
    return spec;
  }

  /** The vendors (namespaces) with at least one defined type. */
  vendors(): number[] {
    return [...new Set([...this.specs.values()].map((s) => s.vendor))];
  }

  lookup(vendor: number, type: number): S | undefined {
    return this.specs.get(k(vendor, type));
  }

  /** Full name, e.g. "IETF/PB-PA", "TCG/Segmentation Contract Request". */
  name(vendor: number, type: number): string {
    const spec = this.specs.get(k(vendor, type));
    return `${vendorName(vendor)}/${spec ? spec.name : `${this.unknown}-${hex32(type)}`}`;
  }

  /** `'IETF/Product Information' 0x000000/0x00000002` */
  label(vendor: number, type: number): string {
    return typeLabel(this.name(vendor, type), vendor, type);
  }
}

const k = (vendor: number, type: number): string => `${vendor}/${type}`;

/** A decoded or to-be-encoded item of a family; `spec` is absent for unknown types (value = raw bytes). */
export interface TypedItem<V, S> {
  readonly vendor: number;
  readonly type: number;
  readonly noskip: boolean;
  readonly value: V;
  readonly spec?: S;
}

/** The typed handle a family's `define…` returns: builds items of its type and recognises them. */
export class TypedHandle<V, S extends TypeSpec> {
  constructor(readonly spec: S) {}

  get fullName(): string {
    return `${vendorName(this.spec.vendor)}/${this.spec.name}`;
  }

  protected item(value: V, noskip: boolean): TypedItem<V, S> {
    return { vendor: this.spec.vendor, type: this.spec.type, noskip, value, spec: this.spec };
  }

  is(a: TypedItem<unknown, unknown>): a is TypedItem<V, S> {
    return a.vendor === this.spec.vendor && a.type === this.spec.type && a.spec !== undefined;
  }
}
