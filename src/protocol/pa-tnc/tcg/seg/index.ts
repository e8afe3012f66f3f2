import * as attributes from './attributes';
import { AttributeType } from '../../registry';
import { familyOf } from '../../../type-registry';
export * from './attributes';
export * from './segmenter';
export * from './reassembler';

/** TCG IF-M Segmentation attributes: the family's codecs, for the codec sets of those who read it. */
export const TCG_SEG_ATTRIBUTES = familyOf(AttributeType, 'TCG IF-M Segmentation attributes', [attributes]);
