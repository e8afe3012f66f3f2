export {
  assertSoftwareTpm,
  extendLabEvidence,
  labEvidencePaths,
  LabEvidenceRefused,
  type LabEvidenceSummary,
} from './lab-evidence';
