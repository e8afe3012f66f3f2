import * as productInformation from './product-information';
import * as testing from './testing';
import * as versions from './versions';
import * as operationalStatus from './operational-status';
import * as portsPackages from './ports-packages';
import * as assessment from './assessment';
import * as paTncError from './pa-tnc-error';
import { AttributeType } from '../registry';
import { familyOf } from '../../type-registry';
export * from './product-information';
export * from './testing';
export * from './versions';
export * from './operational-status';
export * from './ports-packages';
export * from './assessment';
export * from './pa-tnc-error';

/** IETF PA-TNC attributes (RFC 5792): the family's codecs, for the codec sets of those who read it. */
export const IETF_ATTRIBUTES = familyOf(AttributeType, 'IETF PA-TNC attributes (RFC 5792)', [
  productInformation,
  testing,
  versions,
  operationalStatus,
  portsPackages,
  assessment,
  paTncError,
]);
