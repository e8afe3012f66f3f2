export { AttestationImc } from './attestation-imc';
export { DEFAULT_EVIDENCE_PATHS, type AttestationImcOptions, type EvidencePaths, type PtsHashName } from './options';
export { akDeviceId } from './tpm-evidence';
