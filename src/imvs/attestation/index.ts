export { AttestationImv } from './attestation-imv';
export { DEFAULT_ALGORITHMS, DEFAULT_DH_GROUPS, type AttestationImvOptions } from './options';
