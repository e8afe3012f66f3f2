import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { restText } from './text';

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
    return { vendor, productId, name: restText(r, 'Product Information name') };
  },
  encode(w, v) {
    w.u24(v.vendor).u16(v.productId).utf8(v.name);
  },
  describe: (v) => [`product vendor ${v.vendor}, product ID ${v.productId}, name '${v.name}'`],
});
