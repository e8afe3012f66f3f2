import { Reader } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';
import { CAP } from './constants';
import { readPcrSelectionList, type PcrSelection } from './pcr';

/** TPMS_CAPABILITY_DATA (TPM 2.0 Part 2 10.10.2) for the two capabilities the agent reads. */
export type CapabilityData =
  | { capability: typeof CAP.TPM_PROPERTIES; properties: Map<number, number> }
  | { capability: typeof CAP.PCRS; pcrs: PcrSelection[] };

// TPM 2.0 Part 2 10.9.8: TPML_TAGGED_TPM_PROPERTY holds at most MAX_TPM_PROPERTIES (tpm2-tss: 127).
const MAX_PROPERTIES = 127;

export function decodeCapabilityData(data: Buffer): CapabilityData {
  const r = Reader.of(data);
  const at = r.offset;
  const capability = r.u32('TPMS_CAPABILITY_DATA capability');
  let out: CapabilityData;
  if (capability === CAP.PCRS) out = { capability, pcrs: readPcrSelectionList(r) };
  else if (capability === CAP.TPM_PROPERTIES) {
    const countAt = r.offset;
    const count = r.u32('TPML_TAGGED_TPM_PROPERTY count');
    if (count > MAX_PROPERTIES)
      throw new DecodeError(
        'limit',
        'TPML_TAGGED_TPM_PROPERTY count',
        countAt,
        `count ${count} exceeds ${MAX_PROPERTIES}`,
      );
    const properties = new Map<number, number>();
    for (let i = 0; i < count; i++)
      properties.set(r.u32('TPMS_TAGGED_PROPERTY property'), r.u32('TPMS_TAGGED_PROPERTY value'));
    out = { capability, properties };
  } else {
    throw new DecodeError(
      'unsupported',
      'TPMS_CAPABILITY_DATA capability',
      at,
      `capability 0x${capability.toString(16)}`,
    );
  }
  r.end('TPMS_CAPABILITY_DATA');
  return out;
}
