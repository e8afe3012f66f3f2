export * from './ascii';
export * from './binary';
export * from './boot-aggregate';
export * from './replay';
export * from './stream';
export * from './template';
export * from './bank-digest';
export * from './signature';
