import { IETF_ATTRIBUTES } from './pa-tnc/ietf';
import { ITA_ATTRIBUTES } from './pa-tnc/ita';
import { PaCodecs, type AttributeFamily } from './pa-tnc/registry';
import { SWIMA_ATTRIBUTES } from './pa-tnc/swima';
import { TCG_PTS_ATTRIBUTES } from './pa-tnc/tcg/pts';
import { TCG_SEG_ATTRIBUTES } from './pa-tnc/tcg/seg';
import { TNC_AGENT_ATTRIBUTES } from './pa-tnc/tnc-agent';
import { IETF_PB_MESSAGES } from './pb-tnc/ietf';
import { ITA_PB_MESSAGES } from './pb-tnc/ita';
import { PbCodecs, type PbMessageFamily } from './pb-tnc/registry';
import { TCG_PB_MESSAGES } from './pb-tnc/tcg';

/** Every PA-TNC attribute family this build has a codec for. */
export const PA_FAMILIES: readonly AttributeFamily[] = [
  IETF_ATTRIBUTES,
  ITA_ATTRIBUTES,
  TCG_SEG_ATTRIBUTES,
  TCG_PTS_ATTRIBUTES,
  SWIMA_ATTRIBUTES,
  TNC_AGENT_ATTRIBUTES,
];

/** Every PB-TNC message family: what a TNC client and a TNC server both read. */
export const PB_FAMILIES: readonly PbMessageFamily[] = [IETF_PB_MESSAGES, TCG_PB_MESSAGES, ITA_PB_MESSAGES];

/** All the codecs, for what reads any bytes (`tnc-agent decode`, fuzzing, the vectors test). */
export const ALL_CODECS = { pa: new PaCodecs(PA_FAMILIES), pb: new PbCodecs(PB_FAMILIES) } as const;
