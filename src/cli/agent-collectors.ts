import { CollectorError, openCollectors as openAgentCollectors, type Collectors } from '../agent/collectors';
import { DEFAULT_STORE_PATH } from '../imcs/swima/store-path';
import type { Logger } from '../log';

/** The command line's collector flags (attest, demo). */
export interface CollectorFlags {
  swima: boolean;
  swimaStore?: string;
  dpkgRoot?: string;
  osRelease?: string;
  /** A TCTI turns attestation on. */
  tcti?: string;
  akHandle?: number;
  /** AK certificate (PEM or DER file) to send instead of the bare public key. */
  akCert?: string;
  imaList?: string;
  eventLog?: string;
  /** Recorded evidence to extend into a software TPM first (lab evidence mode). */
  labEvidence?: string;
}

/** The agent's collectors from the flags; lab evidence mode and the flags' hints live here, not in the agent. */
export async function openCollectors(f: CollectorFlags, log: Logger): Promise<Collectors> {
  const { tcti, labEvidence } = f;
  // lab evidence mode only: its code stays unloaded on a real host (require: tsx runs the sources as CommonJS)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lab = labEvidence ? (require('../lab') as typeof import('../lab')) : undefined;
  if (tcti && lab) lab.assertSoftwareTpm(tcti);
  try {
    return await openAgentCollectors({
      swima: f.swima
        ? { store: f.swimaStore ?? DEFAULT_STORE_PATH, dpkgRoot: f.dpkgRoot, osRelease: f.osRelease }
        : undefined,
      attestation: tcti
        ? {
            tcti,
            akHandle: f.akHandle,
            akCert: f.akCert,
            paths:
              lab && labEvidence
                ? lab.labEvidencePaths(labEvidence)
                : { ...(f.imaList && { imaList: f.imaList }), ...(f.eventLog && { bootEventLog: f.eventLog }) },
            prepare: lab && labEvidence ? (tpm) => lab.extendLabEvidence(tpm, tcti, labEvidence, log) : undefined,
          }
        : undefined,
    });
  } catch (e) {
    if (e instanceof CollectorError && e.part === 'swima-store')
      throw new Error(`${e.message} (choose another with --swima-store, or --no-swima)`, { cause: e });
    throw e;
  }
}
