import { Agent, AgentState } from '../../imcv/agent';
import { OS_CODECS } from '../../imcv/codecs/os';
import type { PaPort, ReceivedPa } from '../../imcv/pa-port';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import { AssessmentResultAttr, RemediationInstructionsAttr } from '../../protocol/pa-tnc/ietf/assessment';
import { AttributeRequestAttr } from '../../protocol/pa-tnc/ietf/testing';
import { IETF_ERROR, PaTncErrorAttr } from '../../protocol/pa-tnc/ietf/pa-tnc-error';
import { ProductInformationAttr } from '../../protocol/pa-tnc/ietf/product-information';
import { StringVersionAttr } from '../../protocol/pa-tnc/ietf/versions';
import { DeviceIdAttr } from '../../protocol/pa-tnc/ita';
import { encodeAttributeBytes, PA_MSG_HEADER_LEN, PA_TNC_VERSION } from '../../protocol/pa-tnc/message';
import { InstalledPackage, InstalledPackagesAttr } from '../../protocol/pa-tnc/ietf/ports-packages';
import { ASSESSMENT_RESULT } from '../../protocol/pa-tnc/ietf/assessment';
import { PA_SUBTYPE, VENDOR } from '../../protocol/vendors';
import { ConnectionInfo, Evaluation, ImvHost, Recommendation, recommendationName } from '../../tnccs/types';
import { mergeVerdicts, workitemRecommendation } from '../../policy/merge';
import type { Workitem } from '../../policy/manager';
import { WorkitemType } from '../../policy/workitem-types';
import type { SessionManager } from '../sessions';
import { osFactsFrom, logOsFacts, OsFactsSeen } from './os-facts';
import { evaluatePackages } from './packages';

interface OsImvState extends AgentState {
  facts: OsFactsSeen;
  packagesRequested: boolean;
}

const OS_WORKITEMS: readonly WorkitemType[] = [WorkitemType.FWDEN, WorkitemType.PWDEN, WorkitemType.PCKGS];
const INSTALLED_PACKAGES = 7; // RFC 5792 4.2.7

/**
 * The OS IMV: reads what the OS IMC reports (product, versions, status, forwarding, default
 * password, device ID), records device and product, starts the policy session and runs the OS
 * workitems (FWDEN, PWDEN, PCKGS). Without OS workitems it answers allow / don't know.
 */
export class OsImv extends Agent<OsImvState, ImvHost> {
  readonly name = 'OS';
  readonly subscriptions = [PA_SUBTYPE.OS];
  readonly codecs = OS_CODECS;
  protected readonly role = 'IMV' as const;

  constructor(private readonly sessions: SessionManager) {
    super();
  }

  protected createState(conn: ConnectionInfo, port: PaPort): OsImvState {
    return { conn, port, facts: {}, packagesRequested: false };
  }

  protected async handle(state: OsImvState, msg: ReceivedPa): Promise<void> {
    const facts = osFactsFrom(msg.attributes);
    logOsFacts(state.conn.log, facts);
    const product = facts.product ? productName({ ...state.facts, ...facts }) : undefined;
    const refused = this.sessions.claimIdentity(state.conn.id, { deviceId: facts.deviceId, product });
    if (refused) return this.refuse(state, msg, refused);
    Object.assign(state.facts, facts);
    const packages = msg.attributes.find((a) => InstalledPackagesAttr.is(a)) as
      PaAttribute<InstalledPackage[]> | undefined;
    if (!(await this.sessions.start(state.conn.id, state.conn.peerIdentity, state.conn.log))) return;
    await this.runWorkitems(state, packages?.value);
  }

  /** RFC 5792 4.2.8: Invalid Parameter at the attribute that changed the identity; the evaluation fails. */
  private refuse(state: OsImvState, msg: ReceivedPa, reason: string): void {
    state.conn.log.info('IMV', reason);
    const culprit = msg.attributes.findIndex(
      (a) => DeviceIdAttr.is(a) || ProductInformationAttr.is(a) || StringVersionAttr.is(a),
    );
    const offset = msg.attributes
      .slice(0, Math.max(0, culprit))
      .reduce((at, a) => at + encodeAttributeBytes(a).length, PA_MSG_HEADER_LEN);
    const error = PaTncErrorAttr.make({
      vendor: VENDOR.IETF,
      code: IETF_ERROR.INVALID_PARAMETER,
      info: {
        kind: 'invalid-parameter',
        message: { kind: 'message', version: PA_TNC_VERSION, reserved: 0, messageId: msg.messageId },
        offset,
      },
    });
    state.port.send(PA_SUBTYPE.OS, [error], { peerId: msg.peerId, exclusive: true });
    this.host.provideRecommendation(state.conn.id, this.id, Recommendation.NO_ACCESS, Evaluation.ERROR, reason);
  }

  private async runWorkitems(state: OsImvState, packages: InstalledPackage[] | undefined): Promise<void> {
    const id = state.conn.id;
    const items = this.sessions.pending(id, OS_WORKITEMS);
    if (!this.sessions.get(id).workitems.some((w) => isOsWorkitem(w.type))) {
      state.conn.log.info('IMV', `IMV ${this.id} has no workitems - no evaluation requested`);
      this.decide(state, Recommendation.ALLOW, Evaluation.DONT_KNOW);
      return;
    }
    for (const w of items) {
      if (w.type === WorkitemType.PCKGS && !packages) {
        this.requestPackages(state, w);
        continue;
      }
      const [evaluation, text] = await this.evaluate(state, w, packages ?? []);
      const rec = workitemRecommendation(evaluation, w.recFail, w.recNoResult);
      this.sessions.finish(id, w, rec, text);
      state.conn.log.info(
        'IMV',
        `IMV ${this.id} handled ${WorkitemType[w.type]} workitem ${w.id}: ${recommendationName(rec)} - ${text}`,
      );
    }
    if (this.sessions.pending(id, OS_WORKITEMS).length === 0) this.decideFromWorkitems(state);
  }

  private requestPackages(state: OsImvState, w: Workitem): void {
    if (state.packagesRequested) return;
    state.packagesRequested = true;
    state.conn.log.info('IMV', `IMV ${this.id} handles PCKGS workitem ${w.id}`);
    state.port.send(PA_SUBTYPE.OS, [
      state.port.contractRequest(PA_SUBTYPE.OS),
      AttributeRequestAttr.make([{ vendor: VENDOR.IETF, type: INSTALLED_PACKAGES }]),
    ]);
  }

  private async evaluate(state: OsImvState, w: Workitem, packages: InstalledPackage[]): Promise<[Evaluation, string]> {
    switch (w.type) {
      case WorkitemType.FWDEN:
        if (state.facts.forwarding === undefined) return [Evaluation.DONT_KNOW, 'forwarding status unknown'];
        return state.facts.forwarding === 'enabled'
          ? [Evaluation.NONCOMPLIANT_MAJOR, 'forwarding enabled']
          : [Evaluation.COMPLIANT, 'forwarding not enabled'];
      case WorkitemType.PWDEN:
        if (state.facts.defaultPassword === undefined) return [Evaluation.DONT_KNOW, 'default password status unknown'];
        return state.facts.defaultPassword
          ? [Evaluation.NONCOMPLIANT_MAJOR, 'factory default password enabled']
          : [Evaluation.COMPLIANT, 'factory default password not enabled'];
      default:
        return evaluatePackages(
          this.sessions.store,
          this.sessions.get(state.conn.id).product,
          packages,
          state.conn.log,
        );
    }
  }

  private decideFromWorkitems(state: OsImvState): void {
    const done = this.sessions.get(state.conn.id).workitems.filter((w) => isOsWorkitem(w.type));
    const verdicts = done.map((w) => ({
      rec: w.recFinal ?? Recommendation.NO_RECOMMENDATION,
      evaluation: w.recFinal === Recommendation.ALLOW ? Evaluation.COMPLIANT : Evaluation.NONCOMPLIANT_MAJOR,
    }));
    const { rec, evaluation } = mergeVerdicts('default', verdicts);
    this.decide(state, rec, evaluation);
  }

  private decide(state: OsImvState, rec: Recommendation, evaluation: Evaluation): void {
    const attrs: PaAttribute[] = [AssessmentResultAttr.make(ASSESSMENT_RESULT[evaluation])];
    if (rec !== Recommendation.ALLOW)
      attrs.push(
        RemediationInstructionsAttr.make({
          kind: 'string',
          text: 'see the server log for the failed OS checks',
          language: state.conn.language,
        }),
      );
    state.port.send(PA_SUBTYPE.OS, attrs);
    this.host.provideRecommendation(state.conn.id, this.id, rec, evaluation);
  }

  solicitRecommendation(connectionId: number): void {
    const state = this.state(connectionId);
    if (state) this.decide(state, Recommendation.NO_RECOMMENDATION, Evaluation.DONT_KNOW);
  }

  protected override deleted(state: OsImvState): void {
    void this.sessions.stop(state.conn.id, state.conn.log);
  }
}

const isOsWorkitem = (t: WorkitemType): boolean => OS_WORKITEMS.includes(t);
const productName = (f: OsFactsSeen): string => [f.product?.name, f.version?.version].filter(Boolean).join(' ');
