import type { Logger } from '../../log';
import { Agent, AgentState } from '../../imcv/agent';
import { OS_CODECS } from '../../imcv/codecs/os';
import type { PaPort, ReceivedPa } from '../../imcv/pa-port';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import { ProductInformation, ProductInformationAttr } from '../../protocol/pa-tnc/ietf/product-information';
import {
  NumericVersion,
  NumericVersionAttr,
  StringVersion,
  StringVersionAttr,
} from '../../protocol/pa-tnc/ietf/versions';
import { OperationalStatus, OperationalStatusAttr } from '../../protocol/pa-tnc/ietf/operational-status';
import {
  AssessmentResultAttr,
  FactoryDefaultPasswordAttr,
  ForwardingEnabledAttr,
  ForwardingStatus,
  RemediationInstructionsAttr,
} from '../../protocol/pa-tnc/ietf/assessment';
import { InstalledPackage, InstalledPackagesAttr } from '../../protocol/pa-tnc/ietf/ports-packages';
import { AttributeRequestAttr, RequestedAttribute } from '../../protocol/pa-tnc/ietf/testing';
import { DeviceIdAttr } from '../../protocol/pa-tnc/ita';
import { PA_SUBTYPE, VENDOR } from '../../protocol/vendors';
import type { ConnectionInfo, TnccsHost } from '../../tnccs/types';
import { describeHardware, describeMachineAddress, type HardwareIdentity, type NetworkIdentity } from './host-identity';

/** What the OS IMC reports about this host (RFC 5792 4.2.2-4.2.12, ITA-HSR Device ID). */
export interface OsReport {
  product: ProductInformation;
  version: StringVersion;
  numeric: NumericVersion;
  operational: OperationalStatus;
  forwarding: ForwardingStatus;
  defaultPassword: boolean;
  deviceId: string;
  /**
   * Logged for the operator, not sent (no PA-TNC attribute carries them): what the endpoint knows of
   * its hardware and addresses, and what could not be read (docs/architecture.md: the fallbacks).
   */
  endpoint?: { hardware: HardwareIdentity; network: NetworkIdentity; problems: readonly string[] };
}

/** Where the OS IMC's facts come from: the host (src/imcs/os/host-report.ts) or a test tree. */
export interface OsSources {
  report(): Promise<OsReport>;
  /** Read when a verifier asks (RFC 5792 4.2.7); what could not be read is logged, not sent. */
  installedPackages(): Promise<{ packages: InstalledPackage[]; problems: readonly string[] }>;
}

/**
 * The OS IMC: at the start of each handshake it sends product, versions, operational status,
 * forwarding, default password and device ID in one 'IETF/Operating System' message, and answers
 * Attribute Requests (Installed Packages among them).
 */
export class OsImc extends Agent<AgentState, TnccsHost> {
  readonly name = 'OS';
  readonly subscriptions = [PA_SUBTYPE.OS];
  readonly codecs = OS_CODECS;
  protected readonly role = 'IMC' as const;

  constructor(private readonly sources: OsSources) {
    super();
  }

  protected createState(conn: ConnectionInfo, port: PaPort): AgentState {
    return { conn, port };
  }

  async beginHandshake(connectionId: number): Promise<void> {
    const state = this.state(connectionId);
    if (!state) return;
    const r = await this.sources.report();
    if (r.endpoint) {
      state.conn.log.info('IMC', `endpoint hardware: ${describeHardware(r.endpoint.hardware)}`);
      state.conn.log.info('IMC', `machine address ${describeMachineAddress(r.endpoint.network)}`);
      for (const p of r.endpoint.problems) state.conn.log.info('IMC', `OS facts: ${p}`);
    }
    state.port.send(PA_SUBTYPE.OS, [
      ProductInformationAttr.make(r.product),
      StringVersionAttr.make(r.version),
      NumericVersionAttr.make(r.numeric),
      OperationalStatusAttr.make(r.operational),
      ForwardingEnabledAttr.make(r.forwarding),
      FactoryDefaultPasswordAttr.make(r.defaultPassword),
      DeviceIdAttr.make(r.deviceId),
    ]);
  }

  protected async handle(state: AgentState, msg: ReceivedPa): Promise<void> {
    const log = state.conn.log;
    for (const a of msg.attributes) {
      if (AttributeRequestAttr.is(a)) {
        const answer = await this.answer(a.value, log);
        if (answer.length > 0) state.port.send(PA_SUBTYPE.OS, answer, { peerId: msg.peerId });
      } else if (AssessmentResultAttr.is(a)) {
        log.info('IMC', `assessment result is '${a.value}'`);
      } else if (RemediationInstructionsAttr.is(a)) {
        for (const line of RemediationInstructionsAttr.spec.describe?.(a.value) ?? []) log.info('IMC', line);
      }
    }
  }

  private async answer(requested: RequestedAttribute[], log: Logger): Promise<PaAttribute[]> {
    const r = await this.sources.report();
    const out: PaAttribute[] = [];
    for (const { vendor, type } of requested) {
      const attr =
        vendor === VENDOR.IETF
          ? await this.ietfAttribute(type, r, log)
          : vendor === VENDOR.ITA && type === DeviceIdAttr.spec.type
            ? DeviceIdAttr.make(r.deviceId)
            : undefined;
      if (attr) out.push(attr);
    }
    return out;
  }

  private async ietfAttribute(type: number, r: OsReport, log: Logger): Promise<PaAttribute | undefined> {
    switch (type) {
      case ProductInformationAttr.spec.type:
        return ProductInformationAttr.make(r.product);
      case StringVersionAttr.spec.type:
        return StringVersionAttr.make(r.version);
      case NumericVersionAttr.spec.type:
        return NumericVersionAttr.make(r.numeric);
      case OperationalStatusAttr.spec.type:
        return OperationalStatusAttr.make(r.operational);
      case ForwardingEnabledAttr.spec.type:
        return ForwardingEnabledAttr.make(r.forwarding);
      case FactoryDefaultPasswordAttr.spec.type:
        return FactoryDefaultPasswordAttr.make(r.defaultPassword);
      case InstalledPackagesAttr.spec.type: {
        const { packages, problems } = await this.sources.installedPackages();
        for (const p of problems) log.info('IMC', `OS facts: ${p}`);
        return InstalledPackagesAttr.make(packages);
      }
      default:
        return undefined;
    }
  }
}
