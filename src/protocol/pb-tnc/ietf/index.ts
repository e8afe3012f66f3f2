import * as misc from './misc';
import * as pa from './pa';
import * as result from './result';
import * as remediation from './remediation';
import * as error from './error';
import { PbMessageType } from '../registry';
import { familyOf } from '../../type-registry';
export * from './misc';
export * from './pa';
export * from './result';
export * from './remediation';
export * from './error';

/** IETF PB-TNC messages (RFC 5793): the family's codecs, for the codec sets of those who read it. */
export const IETF_PB_MESSAGES = familyOf(PbMessageType, 'IETF PB-TNC messages (RFC 5793)', [
  misc,
  pa,
  result,
  remediation,
  error,
]);
