export * from './strings';
export * from './lists';
export * from './angel';
