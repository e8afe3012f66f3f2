import * as imaTemplate from './ima-template';
import { AttributeType } from '../registry';
import { familyOf } from '../../type-registry';
export * from './ima-template';

/** tnc-agent attributes: the family's codecs, for the codec sets of those who read it. */
export const TNC_AGENT_ATTRIBUTES = familyOf(AttributeType, 'tnc-agent attributes', [imaTemplate]);
