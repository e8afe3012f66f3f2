import assert from 'node:assert/strict';
import type { ServerProcess } from './vm';

/** What `tnc-agent attest --json` prints. */
export interface AttestOutcome {
  access: 'allow' | 'isolate' | 'no access';
  evaluation: string;
  reasons: string[];
}

/**
 * The attestation part of the system test (TCG PTS over IF-M: quote, event log, IMA list). Off until
 * the Attestation IMC/IMV are wired into the CLI; then ATTESTATION below is set to
 * `attestationStep([...server options], [...attest options])` and the system test checks:
 * boot 1 (first run) completes; references are learned from it; boot 2 (a new boot_aggregate) is
 * allow/compliant; after the probe file changed and ran, the next attestation names its path as
 * differing and the verdict follows the policy (`afterChange`).
 */
export interface AttestationStep {
  /** Extra `tnc-agent --server-mode` options (enable the Attestation IMV, its policy). */
  serverArgs: string[];
  /** Extra `tnc-agent attest` options inside the guest (enable the Attestation IMC, TCTI device:/dev/tpmrm0). */
  agentArgs: string[];
  /** Learns reference hashes from the first boot (its evidence dir holds the guest's IMA list). */
  learn(evidenceDir: string, server: ServerProcess): Promise<void>;
  checkFirstRun(o: AttestOutcome): void;
  checkSecondBoot(before: AttestOutcome, afterChange: AttestOutcome, probePath: string, serverLog: string): void;
}

export function attestationStep(
  serverArgs: string[],
  agentArgs: string[],
  learn: AttestationStep['learn'],
  afterChange: AttestOutcome['access'],
): AttestationStep {
  return {
    serverArgs,
    agentArgs,
    learn,
    checkFirstRun: (o) => assert.ok(['allow', 'isolate', 'no access'].includes(o.access), JSON.stringify(o)),
    checkSecondBoot: (before, changed, probePath, serverLog) => {
      assert.deepEqual([before.access, before.evaluation], ['allow', 'compliant'], JSON.stringify(before));
      assert.equal(changed.access, afterChange, JSON.stringify(changed));
      assert.ok(changed.reasons.some((r) => r.includes(probePath)), `no reason names ${probePath}: ${JSON.stringify(changed.reasons)}`);
      assert.ok(serverLog.includes(`for '${probePath}' differs from the reference hashes`), 'the server did not log the differing probe');
    },
  };
}

/** Switch: undefined runs the OS-only handshake plus the agent's ima/eventlog commands. */
export const ATTESTATION: AttestationStep | undefined = undefined;
