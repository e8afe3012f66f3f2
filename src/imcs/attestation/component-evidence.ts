import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AgentState } from '../../imcv/agent';
import { bankByName, type BankAlgorithm } from '../../measurements/algorithms';
import { decodeEventLog, pcr0Locality, type UntrustedEventLog } from '../../measurements/eventlog';
import { isDecodeError } from '../../bytes/errors';
import { ptsError } from '../../protocol/pa-tnc/errors';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import {
  COMP_EVID_FLAG,
  describeComponentName,
  hashAlgInfo,
  PTS_CAP,
  PTS_ERROR,
  SimpleComponentEvidenceAttr,
  type ComponentEvidenceRequest,
  type ComponentName,
  type ComponentRequest,
} from '../../protocol/pa-tnc/tcg/pts';
import { ImaTemplateDataAttr } from '../../protocol/pa-tnc/tnc-agent';
import {
  BIOS_COMPONENT,
  biosEvidence,
  EvidencePcrs,
  IMA_COMPONENT,
  imaEvidence,
  type EvidenceContext,
  type ImaEvidence,
} from './evidence';
import type { EvidencePaths } from './options';

/** What evidence answers need from the connection's negotiation. */
export interface EvidenceState extends AgentState {
  /** Negotiated PTS protocol capabilities. */
  caps: number;
  /** Selected PTS measurement algorithm (bit), also the PCR bank of evidence and quote. */
  algorithm?: number;
  /** The PCRs the last evidence request extended: the quote covers exactly these. */
  pcrs?: EvidencePcrs;
  /** The verifier asked for each IMA entry's template data (tnc-agent Request IMA Template Data). */
  templateData?: boolean;
}

/** A local evidence file that could not be read or parsed. */
class EvidenceUnavailable extends Error {}

const sameComponent = (a: ComponentName, b: ComponentName) =>
  a.vendor === b.vendor && a.qualifier === b.qualifier && a.name === b.name;

/** RFC 3339 UTC with seconds and Z, 20 characters (PTS 3.15.1 measurement time). */
const rfc3339 = (d: Date) => d.toISOString().slice(0, 19) + 'Z';

/** PTS 3.14.1 and 4.2: which request flags this IMC cannot honour, as the PTS error to send. */
function flagError(c: ComponentRequest, caps: number): number | undefined {
  if (c.flags & COMP_EVID_FLAG.T) return PTS_ERROR.UNABLE_DET_TTC;
  if (c.flags & COMP_EVID_FLAG.V && !(caps & PTS_CAP.V)) return PTS_ERROR.UNABLE_LOCAL_VAL;
  if (c.flags & COMP_EVID_FLAG.C && !(caps & PTS_CAP.C)) return PTS_ERROR.UNABLE_CUR_EVID;
  if (c.flags & COMP_EVID_FLAG.P && !(caps & PTS_CAP.T)) return PTS_ERROR.UNABLE_DET_PCR;
  // only the top-level component is measured (strongSwan supports depth 0 only)
  if (c.depth !== 0) return PTS_ERROR.OPERATION_NOT_SUPPORTED;
  return undefined;
}

/** Answers Request Functional Component Evidence from the firmware event log and the IMA list. */
export class ComponentEvidence {
  constructor(private readonly paths: EvidencePaths) {}

  /** The firmware log's StartupLocality (PFP 10.4.5.3), 4 after an H-CRTM, 0 when the log has neither or cannot be read. */
  async startupLocality(): Promise<number> {
    const log = (await this.eventLog().catch(() => undefined))?.log;
    return log ? pcr0Locality(log) : 0;
  }

  async answer(state: EvidenceState, req: ComponentEvidenceRequest, rawValue: Buffer): Promise<PaAttribute[]> {
    const log = state.conn.log;
    log.info('PTS', `evidence requested for ${req.components.length} functional components`);
    const bank = state.algorithm === undefined ? undefined : bankByName(hashAlgInfo(state.algorithm)?.node ?? '');
    if (!bank) return [ptsError(PTS_ERROR.UNABLE_CUR_EVID, rawValue)];
    for (const c of req.components) {
      const code = flagError(c, state.caps);
      if (code !== undefined) return [ptsError(code, rawValue)];
    }
    const locality = await this.startupLocality();
    log.info('PTS', `TPM 2.0 - locality indicator set to ${locality}`);
    state.pcrs = new EvidencePcrs(bank, locality);
    const out: PaAttribute[] = [];
    try {
      for (const c of req.components) {
        log.info('PTS', `* ${describeComponentName(c.component)}`);
        const ctx = { pcrs: state.pcrs, hashBit: state.algorithm!, pcrInfo: (c.flags & COMP_EVID_FLAG.P) !== 0 };
        for (const e of await this.measure(c.component, ctx, state)) {
          out.push(SimpleComponentEvidenceAttr.make(e.evidence));
          if (e.template) out.push(ImaTemplateDataAttr.make(e.template));
        }
      }
    } catch (e) {
      if (!(e instanceof EvidenceUnavailable)) throw e;
      log.error('PTS', e.message);
      state.pcrs = undefined;
      return [ptsError(PTS_ERROR.UNABLE_CUR_EVID, rawValue)];
    }
    return out;
  }

  private async measure(
    component: ComponentName,
    ctx: Omit<EvidenceContext, 'time'>,
    state: EvidenceState,
  ): Promise<ImaEvidence[]> {
    const log = state.conn.log;
    if (sameComponent(component, BIOS_COMPONENT)) {
      const { log: eventLog, time } = await this.eventLog();
      const { evidence, missing } = biosEvidence(eventLog, { ...ctx, time });
      if (missing > 0) log.error('PTS', `${missing} BIOS events have no ${ctx.pcrs.bank.name} digest and are left out`);
      log.info('PTS', `${evidence.length} BIOS evidence measurements`);
      return evidence.map((e) => ({ evidence: e }));
    }
    if (sameComponent(component, IMA_COMPONENT)) {
      const { path, listBank, data, time } = await this.imaList(ctx.pcrs.bank);
      const { evidence, tail } = this.parse(path, () =>
        imaEvidence(data, { ...ctx, time }, state.templateData, listBank),
      );
      if (tail)
        log.info(
          'PTS',
          `'${path}' ends with ${tail.length} bytes of an unfinished entry at offset ${tail.offset}: not sent`,
        );
      log.info(
        'PTS',
        `${evidence.length} IMA evidence measurements${listBank.name === 'sha1' ? '' : ` from the ${listBank.name} list`}`,
      );
      return evidence;
    }
    log.error('PTS', 'unsupported functional component, no evidence sent');
    return [];
  }

  /**
   * The IMA list whose template hashes are in the quote's bank when the kernel exports one
   * (Linux 6.10+: binary_runtime_measurements_<bank>), else the SHA-1 list.
   */
  private async imaList(
    bank: BankAlgorithm,
  ): Promise<{ path: string; listBank: BankAlgorithm; data: Buffer; time: string }> {
    const perBank = `${this.paths.imaList}_${bank.name}`;
    if (bank.name !== 'sha1' && basename(this.paths.imaList) === 'binary_runtime_measurements' && existsSync(perBank)) {
      return { path: perBank, listBank: bank, ...(await this.read(perBank)) };
    }
    return { path: this.paths.imaList, listBank: bankByName('sha1')!, ...(await this.read(this.paths.imaList)) };
  }

  private async eventLog(): Promise<{ log: UntrustedEventLog; time: string }> {
    const { data, time } = await this.read(this.paths.bootEventLog);
    return { log: this.parse(this.paths.bootEventLog, () => decodeEventLog(data)), time };
  }

  private parse<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isDecodeError(e)) throw new EvidenceUnavailable(`cannot parse '${path}': ${e.message}`);
      throw e;
    }
  }

  /** strongSwan stamps every measurement with the log file's ctime. */
  private async read(path: string): Promise<{ data: Buffer; time: string }> {
    try {
      const [data, st] = await Promise.all([readFile(path), stat(path)]);
      return { data, time: rfc3339(st.ctime) };
    } catch (e) {
      throw new EvidenceUnavailable(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
}
