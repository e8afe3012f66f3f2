import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { akDeviceId, type AttestationImcOptions, type EvidencePaths } from '../imcs/attestation';
import type { SwimaStore } from '../imcs/swima/store';
import type { SwimaImcOptions } from '../imcs/swima/swima-imc';
import { Tpm } from '../tpm/tpm';

/** What the endpoint's SWIMA and Attestation IMCs are built from, whichever front end asks. */
export interface CollectorOptions {
  swima?: { store: string; dpkgRoot?: string; osRelease?: string };
  attestation?: {
    tcti: string;
    akHandle?: number;
    /** AK certificate (PEM or DER file) to send instead of the bare public key. */
    akCert?: string;
    paths?: Partial<EvidencePaths>;
    /** Runs on the opened TPM before the AK is read (the CLI's lab evidence mode extends PCRs here). */
    prepare?: (tpm: Tpm) => Promise<unknown>;
  };
}

export interface Collectors {
  swima?: SwimaImcOptions;
  attestation?: AttestationImcOptions;
  /** The AK key ID, which the OS IMC reports as Device ID when attestation runs. */
  deviceId?: string;
  close(): Promise<void>;
}

/** Which part could not be opened: the front end adds the hint its user can act on. */
export class CollectorError extends Error {
  constructor(
    readonly part: 'swima-store',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CollectorError';
  }
}

/** Opens the SWIMA event store and the TPM; on failure closes what it opened. */
export async function openCollectors(o: CollectorOptions): Promise<Collectors> {
  const closers: (() => unknown)[] = [];
  const out: Collectors = { close: async () => void (await Promise.all(closers.map((c) => c()))) };
  try {
    if (o.swima) {
      // loaded only when SWIMA runs: the store brings SQLite, the collector zlib (an attest --no-swima needs neither)
      /* eslint-disable @typescript-eslint/no-require-imports -- require, not import(): tsx runs the sources as CommonJS */
      const { SwimaStore } = require('../imcs/swima/store') as typeof import('../imcs/swima/store');
      const { SwCollector } = require('../imcs/swima/collector') as typeof import('../imcs/swima/collector');
      const { hostSwOs } = require('../imcs/swima/sw-id') as typeof import('../imcs/swima/sw-id');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const store = openSwimaStore(() => new SwimaStore(o.swima!.store), o.swima.store);
      closers.push(() => store.close());
      const os = await hostSwOs(o.swima.osRelease);
      out.swima = { store, os, collector: new SwCollector({ root: o.swima.dpkgRoot ?? '/', store, os }) };
    }
    const a = o.attestation;
    if (a) {
      const tpm = await Tpm.open(a.tcti);
      closers.push(() => tpm.close());
      await a.prepare?.(tpm);
      const akCertificate = a.akCert ? derCertificate(await readFile(a.akCert)) : undefined;
      out.attestation = { tpm, akHandle: a.akHandle, paths: a.paths, akCertificate };
      out.deviceId = await akDeviceId(tpm, a.akHandle);
    }
    return out;
  } catch (e) {
    await out.close();
    throw e;
  }
}

function openSwimaStore(open: () => SwimaStore, path: string): SwimaStore {
  try {
    return open();
  } catch (e) {
    throw new CollectorError('swima-store', `cannot open the SWIMA event store '${path}': ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** A certificate file as DER, whether it holds PEM or DER. */
function derCertificate(file: Buffer): Buffer {
  return new X509Certificate(file).raw;
}
