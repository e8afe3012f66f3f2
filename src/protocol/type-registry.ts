import { hex32, typeLabel, vendorName } from './vendors';

/** What every registered message or attribute type has: its (vendor, type) and its short name. */
export interface TypeSpec {
  readonly vendor: number;
  readonly type: number;
  readonly name: string;
}

/** One family's codecs as its module exports them (strongSwan's families: IETF, ITA-HSR, TCG ...). */
export interface CodecFamily<S extends TypeSpec> {
  /** What the family is, for errors and tests: "IETF PA-TNC", "TCG PTS". */
  readonly name: string;
  readonly specs: readonly S[];
}

/**
 * A codec set: the specs of the families a component was given, by (vendor, type), each type
 * once; names as strongSwan prints them ("IETF/Product Information") and labels with the
 * numbers. Decoders take one, so what a component can read is what it was handed, nothing that
 * some import registered on the side (as strongSwan's imcv_init adds its attribute families).
 */
export class TypeRegistry<S extends TypeSpec> {
  private readonly specs = new Map<string, S>();

  constructor(
    /** What the family calls an unknown type: "attribute", "message". */
    private readonly unknown: string,
    readonly families: readonly CodecFamily<S>[],
  ) {
    for (const f of families) for (const spec of f.specs) this.define(spec);
  }

  private define(spec: S): void {
    const key = k(spec.vendor, spec.type);
    if (this.specs.has(key)) throw new Error(`${this.name(spec.vendor, spec.type)} defined twice`);
    this.specs.set(key, spec);
  }

  /** The vendors (namespaces) with at least one type in the set. */
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

/** A family: every handle of class `kind` that its modules export (a family's index.ts names its modules). */
export function familyOf<S extends TypeSpec>(
  kind: abstract new (...args: never[]) => { readonly spec: S },
  name: string,
  modules: readonly object[],
): CodecFamily<S> {
  const handles = modules.flatMap((m) => Object.values(m)).filter((v): v is { spec: S } => v instanceof kind);
  return { name, specs: [...new Set(handles.map((h) => h.spec))] };
}

/** How a describe() names other types (an Attribute Request's list); the codec set a caller holds. */
export interface TypeNames {
  label(vendor: number, type: number): string;
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
