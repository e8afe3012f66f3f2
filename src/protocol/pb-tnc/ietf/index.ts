export * from './misc';
export * from './pa';
export * from './result';
export * from './remediation';
export * from './error';
