import * as imaTemplate from './ima-template';
import { attributeFamily } from '../registry';
export * from './ima-template';

/** tnc-agent attributes: the family's codecs, for the codec sets of those who read it. */
export const TNC_AGENT_ATTRIBUTES = attributeFamily('tnc-agent attributes', [imaTemplate]);
