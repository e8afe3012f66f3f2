import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';

const DUMMY_BYTE = 0xdd;

/** ITA-HSR 2: Dummy — `size` bytes of 0xDD (padding used to test large messages). */
export const DummyAttr = defineAttribute<{ size: number }>({
  vendor: VENDOR.ITA,
  type: 2,
  name: 'Dummy',
  decode(r) {
    const at = r.offset;
    const v = r.rest();
    const bad = v.findIndex((b) => b !== DUMMY_BYTE);
    if (bad >= 0) throw new DecodeError('invalid', 'ITA-HSR Dummy', at + bad, 'byte is not 0xdd');
    return { size: v.length };
  },
  encode: (w, v) => void w.bytes(Buffer.alloc(v.size, DUMMY_BYTE)),
  describe: (v) => [`${v.size} dummy bytes`],
});

// strongSwan's ita_attr_angel.c: Start Angel / Stop Angel carry no value
const emptyAttribute = (type: number, name: string) =>
  defineAttribute<Record<string, never>>({
    vendor: VENDOR.ITA,
    type,
    name,
    decode: () => ({}),
    encode: () => undefined,
  });

/** ITA-HSR 5: Start Angel (empty). */
export const StartAngelAttr = emptyAttribute(5, 'Start Angel');
/** ITA-HSR 6: Stop Angel (empty). */
export const StopAngelAttr = emptyAttribute(6, 'Stop Angel');
