import { startBridgeServer, type BridgeServer } from '../bridge';
import { endpointImcs } from '../agent/attest';
import { CollectorError, openCollectors, type CollectorOptions, type Collectors } from '../agent/collectors';
import type { AttestationImcOptions } from '../imcs/attestation';
import { procPaths } from '../imcs/os/facts';
import { hostOsSources } from '../imcs/os/host-report';
import type { OsSources } from '../imcs/os/os-imc';
import type { SwimaImcOptions } from '../imcs/swima/swima-imc';
import { watchDpkg, type LiveCollection } from '../imcs/swima/watch';
import type { Logger } from '../log';
import { swimaStorePath, type AgentConfig } from './config';

/**
 * What the daemon keeps open between attestations: the TPM and the SWIMA event store (the
 * collectors), the live dpkg watch that keeps the store current, and the IF-IMC bridge serving
 * its own OS/SWIMA/Attestation IMC instances over the same TPM and store.
 */
export interface DaemonParts {
  /** IMC options for one PT-TLS handshake (`attest` makes fresh IMCs from them). */
  readonly collectors: { swima?: SwimaImcOptions; attestation?: AttestationImcOptions };
  /** The configured device ID, else the AK key ID when attestation runs, else none (machine-id). */
  readonly deviceId?: string;
  readonly bridge?: BridgeServer;
  close(): Promise<void>;
}

/** The configuration the parts depend on: a reload that leaves it alone keeps them open. */
export function partsKey(c: AgentConfig): string {
  return JSON.stringify([c.swima, c.attestation, c.os, c.stateDir, c.bridge, c.log]);
}

/** Opens the parts; `packagesChanged` hears each live collection pass that recorded SW ID events. */
export async function openParts(
  c: AgentConfig,
  log: Logger,
  packagesChanged: (events: number) => void,
): Promise<DaemonParts> {
  const col = await openCollectors(collectorOptions(c)).catch((e: unknown) => {
    throw withConfigHint(e);
  });
  const closers: (() => Promise<unknown>)[] = [() => col.close()];
  const close = async () => {
    for (const f of closers.reverse()) await f();
  };
  try {
    const { swima, live } = await goLive(col, c, log, packagesChanged);
    if (live) closers.push(() => live.close());
    const deviceId = c.os.deviceId ?? col.deviceId;
    const collectors = { swima, attestation: col.attestation };
    let bridge: BridgeServer | undefined;
    if (c.bridge.socket) {
      const imcs = endpointImcs({ os: perHandshakeOs(c, deviceId), swima, attestation: col.attestation });
      bridge = await startBridgeServer({ socketPath: c.bridge.socket, imcs, log });
      closers.push(() => bridge!.close());
    }
    return { collectors, deviceId, bridge, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function collectorOptions(c: AgentConfig): CollectorOptions {
  const a = c.attestation;
  return {
    swima: c.swima.enabled
      ? { store: swimaStorePath(c), dpkgRoot: c.swima.dpkgRoot, osRelease: c.os.osRelease }
      : undefined,
    attestation: a.enabled
      ? { tcti: a.tcti, akHandle: a.akHandle, paths: { imaList: a.imaList, bootEventLog: a.eventLog } }
      : undefined,
  };
}

/** The configuration's words for what the user can change (the agent core names no front end's options). */
function withConfigHint(e: unknown): unknown {
  if (e instanceof CollectorError && e.part === 'swima-store')
    return new Error(`${e.message} (set another [swima] store, or [swima] enabled = no)`, { cause: e });
  return e;
}

/**
 * SWIMA collects live: the watcher runs a collector pass on every dpkg change, so the IMCs get
 * the options without the collector (no second pass racing the watcher's at handshake time).
 */
async function goLive(
  col: Collectors,
  c: AgentConfig,
  log: Logger,
  packagesChanged: (n: number) => void,
): Promise<{ swima?: SwimaImcOptions; live?: LiveCollection }> {
  if (!col.swima?.collector) return { swima: col.swima };
  const { collector, ...swima } = col.swima;
  const live = watchDpkg(collector, c.swima.dpkgRoot, log, packagesChanged);
  try {
    await live.ready;
  } catch (e) {
    await live.close();
    throw e;
  }
  log.info('IMC', `SWIMA collects live from ${c.swima.dpkgRoot}, last eid ${swima.store.lastEid()}`);
  return { swima, live };
}

/** Fresh OS facts per handshake, so that an installed package shows in the next report. */
export function osSources(c: AgentConfig, deviceId: string | undefined): OsSources {
  return hostOsSources({
    defaultPassword: c.os.defaultPassword,
    deviceId,
    deviceIdOption: '[os] device-id',
    paths: {
      osRelease: c.os.osRelease,
      dpkgStatus: c.os.dpkgStatus,
      machineId: c.os.machineId,
      ...procPaths(c.os.procRoot),
    },
  });
}

/** For the bridge's long-lived OS IMC: each report reads the host again; the package list follows the latest report. */
function perHandshakeOs(c: AgentConfig, deviceId: string | undefined): OsSources {
  let current = osSources(c, deviceId);
  return {
    report: () => (current = osSources(c, deviceId)).report(),
    installedPackages: () => current.installedPackages(),
  };
}
