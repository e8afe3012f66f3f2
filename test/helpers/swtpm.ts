// Tests start the same throwaway swtpm the lab demo uses.
export { startSwtpm, type Swtpm } from '../../src/lab/swtpm';
