export * from './product-information';
export * from './testing';
export * from './versions';
export * from './operational-status';
export * from './ports-packages';
export * from './assessment';
export * from './pa-tnc-error';
