import { ITA_ATTRIBUTES } from '../../protocol/pa-tnc/ita';
import { PaCodecs } from '../../protocol/pa-tnc/registry';
import { COMMON } from './common';

/** RFC 5792 OS posture, with the ITA-HSR Device ID and settings. */
export const OS_CODECS = new PaCodecs([...COMMON, ITA_ATTRIBUTES]);
