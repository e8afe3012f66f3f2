import { DecodeError } from '../../../bytes/errors';
import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';

/**
 * tnc-agent's IMA template data (vendor-specific attributes, RFC 5792 4.2: a receiver that does not
 * know them skips them, since they are never sent with the NOSKIP flag).
 *
 * TCG PTS Simple Component Evidence carries for an IMA entry only the template hash that was extended
 * into PCR 10 and a policy URI naming the file. The verifier cannot tell from these which file and
 * digest were measured: the URI is the collector's claim. With the entry's template data (as the
 * kernel lists it, Linux Documentation/security/IMA-templates.rst), the verifier recomputes the
 * template hash and judges the name and digest that were really extended.
 */
export interface ImaTemplateData {
  /** Template name as the kernel lists it: ima, ima-ng, ima-sig, ima-buf, ..., or an ima_template_fmt field list ("d-ng|n-ng|sig"). */
  readonly template: string;
  /** Template data as listed (each field u32 length + bytes; `ima`: digest, u32 length, name). */
  readonly data: Buffer;
}

// Linux ima.h: a name is at most IMA_TEMPLATE_NAME_LEN_MAX (15); a custom template is listed by its
// field list, up to IMA_TEMPLATE_NUM_FIELDS_MAX (15) field ids: the u8 length bounds both
const TEMPLATE_NAME_MAX = 255;
/** Far above any real template data (an ima-sig RSA-4096 signature is ~520 bytes). */
export const IMA_TEMPLATE_DATA_MAX = 1 << 16;

/** Type 1: Request IMA Template Data (empty value). The collector follows each IMA evidence with type 2. */
export const RequestImaTemplateDataAttr = defineAttribute<Record<string, never>>({
  vendor: VENDOR.TNC_AGENT,
  type: 1,
  name: 'Request IMA Template Data',
  decode: (r) => {
    r.end('Request IMA Template Data');
    return {};
  },
  encode: () => {},
});

/** Type 2: IMA Template Data: u8 name length, template name, template data (the rest of the value). */
export const ImaTemplateDataAttr = defineAttribute<ImaTemplateData>({
  vendor: VENDOR.TNC_AGENT,
  type: 2,
  name: 'IMA Template Data',
  decode(r) {
    const at = r.offset;
    const len = r.u8('IMA template name length');
    if (len === 0 || len > TEMPLATE_NAME_MAX)
      throw new DecodeError('invalid', 'IMA template name length', at, `length ${len} is not 1-${TEMPLATE_NAME_MAX}`);
    const template = r.bytes(len, 'IMA template name').toString('latin1');
    if (!/^[a-z0-9_|-]+$/.test(template))
      throw new DecodeError('invalid', 'IMA template name', at + 1, 'not a kernel template name or field list');
    if (r.remaining > IMA_TEMPLATE_DATA_MAX)
      throw new DecodeError(
        'invalid',
        'IMA template data',
        r.offset,
        `${r.remaining} bytes exceed ${IMA_TEMPLATE_DATA_MAX}`,
      );
    return { template, data: r.rest() };
  },
  encode: (w, v) => w.u8(v.template.length).bytes(Buffer.from(v.template, 'latin1')).bytes(v.data),
  describe: (v) => [`${v.template} template data, ${v.data.length} bytes`],
});
