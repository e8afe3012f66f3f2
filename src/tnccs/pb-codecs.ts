import { IETF_PB_MESSAGES } from '../protocol/pb-tnc/ietf';
import { ITA_PB_MESSAGES } from '../protocol/pb-tnc/ita';
import { PbCodecs } from '../protocol/pb-tnc/registry';
import { TCG_PB_MESSAGES } from '../protocol/pb-tnc/tcg';

/** The PB-TNC message families our TNC client and TNC server read (RFC 5793 4, TCG PB-PDP-Referral, ITA-HSR). */
export const TNCCS_PB_CODECS = new PbCodecs([IETF_PB_MESSAGES, TCG_PB_MESSAGES, ITA_PB_MESSAGES]);
