// RFC 2865 RADIUS with RFC 3579 EAP support and RFC 2548 MS-MPPE keys: packet codec and authenticators.
export * from './packet';
export * from './crypto';
