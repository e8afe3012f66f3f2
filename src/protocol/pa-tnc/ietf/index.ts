export * from './product-information';
