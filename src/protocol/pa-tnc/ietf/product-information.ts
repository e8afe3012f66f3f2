import { DecodeError } from '../../errors';
import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';

export interface ProductInformation {
  /** SMI PEN of the product's vendor (u24). */
  vendor: number;
  productId: number;
  name: string;
}

// RFC 5792 4.2.2: Product Information
export const ProductInformationAttr = defineAttribute<ProductInformation>({
  vendor: VENDOR.IETF,
  type: 2,
  name: 'Product Information',
  decode(r) {
    const vendor = r.u24('Product Information vendor ID');
    const productId = r.u16('Product Information product ID');
    const at = r.offset;
    const raw = r.rest();
    const name = raw.toString('utf8');
    if (Buffer.byteLength(name) !== raw.length) throw new DecodeError('invalid', 'Product Information name', at, 'not UTF-8');
    return { vendor, productId, name };
  },
  encode(w, v) {
    w.u24(v.vendor).u16(v.productId).utf8(v.name);
  },
  describe: (v) => [`product vendor ${v.vendor}, product ID ${v.productId}, name '${v.name}'`],
});
