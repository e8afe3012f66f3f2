import { ptsError } from '../../protocol/pa-tnc/errors';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import {
  capabilityString,
  HASH_ALG,
  hashAlgName,
  MeasAlgoSelectionAttr,
  PTS_CAP,
  PTS_ERROR,
} from '../../protocol/pa-tnc/tcg/pts';
import { Writer } from '../../bytes/cursor';
import type { Tpm } from '../../tpm/tpm';
import type { EvidenceState } from './component-evidence';
import type { PtsHashName } from './options';
import { ptsBanksOf } from './tpm-evidence';

const BITS: Record<PtsHashName, number> = { sha256: HASH_ALG.SHA256, sha384: HASH_ALG.SHA384, sha1: HASH_ALG.SHA1 };
export const DEFAULT_HASH_PREFERENCE: readonly PtsHashName[] = ['sha256', 'sha384', 'sha1'];

async function usable(tpm: Promise<Tpm>, log: EvidenceState['conn']['log']): Promise<Tpm | undefined> {
  try {
    return await tpm;
  } catch (e) {
    log.error('PTS', `no TPM available: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * PTS 3.7: we verify (V) always; with a TPM we also do DH nonces (D) and TPM evidence (T).
 * The answer is what both sides have, as strongSwan's IMC answers.
 */
export async function negotiateCaps(state: EvidenceState, tpm: Promise<Tpm>, requested: number): Promise<number> {
  const ours = PTS_CAP.V | ((await usable(tpm, state.conn.log)) ? PTS_CAP.D | PTS_CAP.T : 0);
  state.caps = requested & ours;
  state.conn.log.info('PTS', `supported PTS protocol capabilities: ${capabilityString(state.caps)}`);
  return state.caps;
}

/** PTS 3.9.2: the first preferred algorithm the verifier offers and the TPM has a PCR bank for. */
export async function selectAlgorithm(
  state: EvidenceState,
  tpm: Promise<Tpm>,
  offered: number,
  preference = DEFAULT_HASH_PREFERENCE,
): Promise<PaAttribute> {
  const t = await usable(tpm, state.conn.log);
  const banks = t ? await ptsBanksOf(t) : 0;
  const supported = preference.reduce((set, name) => set | (BITS[name] & banks), 0);
  const pick = preference.map((n) => BITS[n]).find((bit) => bit & supported & offered);
  if (pick === undefined) {
    state.conn.log.error('PTS', `none of the offered PTS measurement algorithms is supported`);
    // PTS 4.2: hash algorithm not supported, with the set we support
    return ptsError(PTS_ERROR.HASH_ALG_NOT_SUPPORTED, new Writer(4).u16(0).u16(supported).finish());
  }
  state.algorithm = pick;
  state.conn.log.info('PTS', `selected PTS measurement algorithm is ${hashAlgName(pick)}`);
  return MeasAlgoSelectionAttr.make({ algorithm: pick });
}
