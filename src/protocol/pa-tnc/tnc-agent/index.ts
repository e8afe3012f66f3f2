export * from './ima-template';
