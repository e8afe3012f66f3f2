// RFC 8412 SWIMA attributes (IETF vendor, PA subtype SWIMA), types 13-17.
// Types 18-21 (Subscription Status Request/Response, Source Metadata Request/Response) are not
// registered: strongSwan does not implement them and decodes them as raw.
export * from './records';
export * from './attributes';
export * from './errors';
