import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AttestationImcOptions, akDeviceId } from '../imcs/attestation';
import { SwCollector } from '../imcs/swima/collector';
import { DEFAULT_STORE_PATH, SwimaStore } from '../imcs/swima/store';
import { hostSwOs } from '../imcs/swima/sw-id';
import type { SwimaImcOptions } from '../imcs/swima/swima-imc';
import { assertSoftwareTpm, extendLabEvidence, labEvidencePaths } from '../lab';
import type { Logger } from '../log';
import { Tpm } from '../tpm/tpm';

/** What the agent's SWIMA and Attestation IMCs are built from (attest, demo). */
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

export interface Collectors {
  swima?: SwimaImcOptions;
  attestation?: AttestationImcOptions;
  /** The AK key ID, which the OS IMC reports as Device ID when attestation runs. */
  deviceId?: string;
  close(): Promise<void>;
}

export async function openCollectors(f: CollectorFlags, log: Logger): Promise<Collectors> {
  const closers: (() => unknown)[] = [];
  const out: Collectors = { close: async () => void (await Promise.all(closers.map((c) => c()))) };
  try {
    if (f.swima) {
      const store = openSwimaStore(f.swimaStore ?? DEFAULT_STORE_PATH);
      closers.push(() => store.close());
      const os = await hostSwOs(f.osRelease);
      out.swima = { store, os, collector: new SwCollector({ root: f.dpkgRoot ?? '/', store, os }) };
    }
    if (f.tcti) {
      if (f.labEvidence) assertSoftwareTpm(f.tcti);
      const tpm = await Tpm.open(f.tcti);
      closers.push(() => tpm.close());
      if (f.labEvidence) await extendLabEvidence(tpm, f.tcti, f.labEvidence, log);
      const paths = f.labEvidence
        ? labEvidencePaths(f.labEvidence)
        : { ...(f.imaList && { imaList: f.imaList }), ...(f.eventLog && { bootEventLog: f.eventLog }) };
      out.attestation = {
        tpm,
        akHandle: f.akHandle,
        paths,
        akCertificate: f.akCert ? derCertificate(await readFile(f.akCert)) : undefined,
      };
      out.deviceId = await akDeviceId(tpm, f.akHandle);
    }
    return out;
  } catch (e) {
    await out.close();
    throw e;
  }
}

function openSwimaStore(path: string): SwimaStore {
  try {
    return new SwimaStore(path);
  } catch (e) {
    throw new Error(
      `cannot open the SWIMA event store '${path}': ${(e as Error).message} (choose another with --swima-store, or --no-swima)`,
      { cause: e },
    );
  }
}

/** A certificate file as DER, whether it holds PEM or DER. */
function derCertificate(file: Buffer): Buffer {
  return new X509Certificate(file).raw;
}
