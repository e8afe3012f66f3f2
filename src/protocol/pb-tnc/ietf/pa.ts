import { paSubtypeLabel, VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';
import { definePbMessage } from '../registry';

/** RFC 5793 4.4: PB-PA. The PA-TNC message stays raw bytes: the IMC/IMV layer decodes it. */
export interface PbPa {
  /** EXCL: deliver only to the addressed posture collector/validator. */
  exclusive: boolean;
  paVendor: number;
  paSubtype: number;
  collectorId: number;
  validatorId: number;
  /** The PA-TNC message (RFC 5792), undecoded. */
  body: Buffer;
}

export const PB_PA_EXCL = 0x80;
/** RFC 5793 4.4: Posture Validator Identifier meaning "no particular validator". */
export const ANY_VALIDATOR = 0xffff;

export const PbPaMsg = definePbMessage<PbPa>({
  vendor: VENDOR.IETF,
  type: 1,
  name: 'PB-PA',
  noskip: 'set',
  minLength: 24,
  decode(r) {
    const exclusive = (r.u8('PB-PA flags') & PB_PA_EXCL) !== 0;
    const at = r.offset;
    const paVendor = r.u24('PB-PA message vendor ID');
    // RFC 5793 4.4: vendor 0xffffff and subtype 0xffffffff are reserved
    if (paVendor === 0xffffff)
      throw new DecodeError('reserved', 'PB-PA message vendor ID', at, 'reserved vendor ID 0xffffff');
    const paSubtype = r.u32('PB-PA message subtype');
    if (paSubtype === 0xffffffff)
      throw new DecodeError('reserved', 'PB-PA message subtype', at + 3, 'reserved subtype 0xffffffff');
    const collectorId = r.u16('PB-PA posture collector ID');
    const validatorId = r.u16('PB-PA posture validator ID');
    return { exclusive, paVendor, paSubtype, collectorId, validatorId, body: r.rest() };
  },
  encode(w, v) {
    w.u8(v.exclusive ? PB_PA_EXCL : 0)
      .u24(v.paVendor)
      .u32(v.paSubtype)
      .u16(v.collectorId)
      .u16(v.validatorId)
      .bytes(v.body);
  },
  describe: (v) => [
    `PB-PA message type ${paSubtypeLabel({ vendor: v.paVendor, subtype: v.paSubtype })}`,
    `collector ID ${v.collectorId}, validator ID ${v.validatorId}${v.exclusive ? ', exclusive' : ''}`,
  ],
});
