import { PaCodecs } from '../../protocol/pa-tnc/registry';
import { SWIMA_ATTRIBUTES } from '../../protocol/pa-tnc/swima';
import { COMMON } from './common';

/** RFC 8412 SWIMA. */
export const SWIMA_CODECS = new PaCodecs([...COMMON, SWIMA_ATTRIBUTES]);
