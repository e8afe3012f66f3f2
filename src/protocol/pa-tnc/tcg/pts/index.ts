import * as negotiation from './negotiation';
import * as evidence from './evidence';
import * as files from './files';
import { AttributeType } from '../../registry';
import { familyOf } from '../../../type-registry';
// TCG Attestation PTS Protocol: Binding to TNC IF-M (vendor TCG, PA subtype PTS).
// Registered here: negotiation, evidence, file measurement and Unix metadata attributes.
// Left unregistered (decoded as raw): Template Reference Manifest (0x0A-0x0C), Verification Result,
// Integrity Report, Windows File Metadata, Registry Value requests/values, Integrity Measurement Log.
export * from './values';
export * from './errors';
export * from './negotiation';
export * from './evidence';
export * from './files';

/** TCG PTS attributes: the family's codecs, for the codec sets of those who read it. */
export const TCG_PTS_ATTRIBUTES = familyOf(AttributeType, 'TCG PTS attributes', [negotiation, evidence, files]);
