import * as strings from './strings';
import * as lists from './lists';
import * as angel from './angel';
import { AttributeType } from '../registry';
import { familyOf } from '../../type-registry';
export * from './strings';
export * from './lists';
export * from './angel';

/** ITA-HSR attributes: the family's codecs, for the codec sets of those who read it. */
export const ITA_ATTRIBUTES = familyOf(AttributeType, 'ITA-HSR attributes', [strings, lists, angel]);
