import { defineAttribute } from '../registry';
import { hex32, typeLabel, vendorName, VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';

// RFC 5792 4.2.1: Testing — opaque content, no meaning
export const TestingAttr = defineAttribute<Buffer>({
  vendor: VENDOR.IETF,
  type: 0,
  name: 'Testing',
  decode: (r) => Buffer.from(r.rest()),
  encode: (w, v) => void w.bytes(v),
  describe: (v) => [`${v.length} bytes of test data`],
});

export interface RequestedAttribute {
  vendor: number;
  type: number;
}

// RFC 5792 4.2.1: Attribute Request — repeated 8-byte entries: reserved(1) vendor(3) type(4)
export const AttributeRequestAttr = defineAttribute<RequestedAttribute[]>({
  vendor: VENDOR.IETF,
  type: 1,
  name: 'Attribute Request',
  decode(r) {
    if (r.remaining % 8 !== 0)
      throw new DecodeError(
        'invalid',
        'Attribute Request length',
        r.offset,
        `${r.remaining} bytes is not a multiple of 8`,
      );
    const out: RequestedAttribute[] = [];
    while (!r.atEnd) {
      r.skip(1, 'Attribute Request reserved');
      out.push({ vendor: r.u24('Attribute Request vendor ID'), type: r.u32('Attribute Request attribute type') });
    }
    return out;
  },
  encode(w, v) {
    for (const a of v) w.u8(0).u24(a.vendor).u32(a.type);
  },
  describe: (v, names) =>
    v.map(
      (a) =>
        `requested attribute type ${names?.label(a.vendor, a.type) ?? typeLabel(`${vendorName(a.vendor)}/attribute-${hex32(a.type)}`, a.vendor, a.type)}`,
    ),
});
