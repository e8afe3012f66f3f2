import { ITA_ATTRIBUTES } from '../../protocol/pa-tnc/ita';
import { PaCodecs } from '../../protocol/pa-tnc/registry';
import { TCG_PTS_ATTRIBUTES } from '../../protocol/pa-tnc/tcg/pts';
import { TNC_AGENT_ATTRIBUTES } from '../../protocol/pa-tnc/tnc-agent';
import { COMMON } from './common';

/** TCG PTS attestation, with ITA-HSR symlinks and our IMA template data. */
export const ATTESTATION_CODECS = new PaCodecs([...COMMON, ITA_ATTRIBUTES, TCG_PTS_ATTRIBUTES, TNC_AGENT_ATTRIBUTES]);
