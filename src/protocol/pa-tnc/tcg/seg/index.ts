export * from './attributes';
export * from './segmenter';
export * from './reassembler';
