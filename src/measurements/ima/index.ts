export * from './ascii';
export * from './binary';
export * from './boot-aggregate';
export * from './replay';
export * from './stream';
export * from './template';
export * from './verify';
export * from './bank-digest';
