import * as attributes from './attributes';
import * as status from './status';
import { AttributeType } from '../registry';
import { familyOf } from '../../type-registry';
// RFC 8412 SWIMA attributes (IETF vendor, PA subtype SWIMA), types 13-21. strongSwan implements
// 13-17 only: it skips 18-21 (Subscription Status, Source Metadata) as unknown types.
export * from './records';
export * from './attributes';
export * from './status';
export * from './errors';

/** SWIMA attributes (RFC 8412): the family's codecs, for the codec sets of those who read it. */
export const SWIMA_ATTRIBUTES = familyOf(AttributeType, 'SWIMA attributes (RFC 8412)', [attributes, status]);
