import { IETF_ATTRIBUTES } from '../protocol/pa-tnc/ietf';
import { ITA_ATTRIBUTES } from '../protocol/pa-tnc/ita';
import { PaCodecs } from '../protocol/pa-tnc/registry';
import { SWIMA_ATTRIBUTES } from '../protocol/pa-tnc/swima';
import { TCG_PTS_ATTRIBUTES } from '../protocol/pa-tnc/tcg/pts';
import { TCG_SEG_ATTRIBUTES } from '../protocol/pa-tnc/tcg/seg';
import { TNC_AGENT_ATTRIBUTES } from '../protocol/pa-tnc/tnc-agent';

// The attribute families each kind of IMC and IMV reads, handed to its PaPort (as strongSwan's
// imcv_init adds its families): the IMC and the IMV of a kind share one set. Every kind reads the
// IETF attributes (PA-TNC Error, Attribute Request) and TCG IF-M Segmentation (PaPort's contracts).
const COMMON = [IETF_ATTRIBUTES, TCG_SEG_ATTRIBUTES];

/** RFC 5792 OS posture, with the ITA-HSR Device ID and settings. */
export const OS_CODECS = new PaCodecs([...COMMON, ITA_ATTRIBUTES]);
/** RFC 8412 SWIMA. */
export const SWIMA_CODECS = new PaCodecs([...COMMON, SWIMA_ATTRIBUTES]);
/** TCG PTS attestation, with ITA-HSR symlinks and our IMA template data. */
export const ATTESTATION_CODECS = new PaCodecs([...COMMON, ITA_ATTRIBUTES, TCG_PTS_ATTRIBUTES, TNC_AGENT_ATTRIBUTES]);
