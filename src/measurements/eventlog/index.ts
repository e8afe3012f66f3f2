export * from './decode';
export * from './event-types';
export * from './replay';
