import { IETF_ATTRIBUTES } from '../../protocol/pa-tnc/ietf';
import { TCG_SEG_ATTRIBUTES } from '../../protocol/pa-tnc/tcg/seg';

// The attribute families each kind of IMC and IMV reads, handed to its PaPort (as strongSwan's
// imcv_init adds its families): the IMC and the IMV of a kind share one set, and each set has a
// module of its own, so that a process loads only the families of the kinds it runs. Every kind
// reads the IETF attributes (PA-TNC Error, Attribute Request) and TCG IF-M Segmentation (PaPort's
// contracts).
export const COMMON = [IETF_ATTRIBUTES, TCG_SEG_ATTRIBUTES];
