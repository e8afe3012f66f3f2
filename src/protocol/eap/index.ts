// RFC 3748 EAP, RFC 5281 EAP-TTLS (flags, fragments, AVPs) and RFC 7171 PT-EAP framing.
export * from './packet';
export * from './tls-method';
export * from './avp';
