import type { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { Logger } from '../../log';
import { isDecodeError } from '../../bytes/errors';
import {
  AVP_EAP_MESSAGE,
  decodeEap,
  decodeTlsMethodData,
  EapCode,
  EapType,
  eapMessageAvp,
  eapTypeName,
  encodeEap,
  encodeTlsMethodData,
  FragmentAssembler,
  fragmentTlsMessage,
  PT_EAP_VERSION,
  takeAvps,
  TTLS_VERSION,
  type EapPacket,
  type TlsMethodData,
} from '../../protocol/eap';
import { type FinalVerdict, Recommendation, recommendationName } from '../../tnccs/types';
import { PtEapChannel } from './pt-eap-channel';
import { TlsTunnel, verifyPeer } from './tls-tunnel';

/** What the RADIUS side answers with: Access-Challenge, -Accept, -Reject, or nothing. */
export type EapAnswer =
  | { kind: 'challenge'; eap: Buffer }
  | { kind: 'accept'; eap: Buffer; msk: Buffer; verdict: FinalVerdict }
  | { kind: 'reject'; eap: Buffer; reason: string; verdict?: FinalVerdict }
  | { kind: 'drop'; reason: string };

export interface TtlsSessionOptions {
  readonly context: SecureContext;
  /** CAs a client certificate must chain to (directly). */
  readonly cas: readonly X509Certificate[];
  readonly log: Logger;
  /** Runs the PB-TNC server over the channel; resolves with its final verdict. */
  readonly serve: (channel: PtEapChannel) => Promise<FinalVerdict | undefined>;
  /** ISOLATE: Access-Reject, or Access-Accept naming the group (the gateway restricts it). */
  readonly isolate: 'reject' | 'accept';
  /** Largest EAP-TTLS fragment we send (strongSwan's default fragment_size is 1024). */
  readonly fragmentSize?: number;
}

/** RFC 5246 6.2.3 worst case: 2048 bytes of expansion per 16 KiB record; four records per TLS message, as strongSwan allows. */
export const MAX_TLS_MESSAGE = 4 * (16384 + 2048);
/** An EAP packet is at most 65535 bytes; its AVP adds a 12-byte header at most. */
const MAX_AVP = 65535 + 12;

/** An untrusted identity for logs: text as is, anything else (a DER-encoded DN, as strongSwan sends) in hex. */
const printable = (b: Buffer): string =>
  /^[\x20-\x7e]*$/.test(b.toString('latin1')) ? b.toString('latin1') : `0x${b.toString('hex')}`;

/** Ends the exchange with this reason (EAP-Failure). */
class SessionFailure extends Error {}

/**
 * One EAP-TTLS (RFC 5281) server session, driven by the peer's EAP Responses: TTLS start, the TLS
 * handshake in fragments, then phase 2 inside the tunnel: the peer's EAP-Identity, PT-EAP (RFC 7171)
 * carrying PB-TNC batches to the PB-TNC server, and after its last batch the verdict.
 */
export class TtlsSession {
  private state: 'identity' | 'tls' | 'done' = 'identity';
  private inner: 'identity' | 'pt-eap' = 'identity';
  private lastId = 0;
  private innerId = 0;
  private readonly assembler = new FragmentAssembler(MAX_TLS_MESSAGE);
  private pendingFragments: TlsMethodData[] = [];
  private tunnel?: TlsTunnel;
  private avpBuffer = Buffer.alloc(0);
  private channel?: PtEapChannel;
  private served?: Promise<FinalVerdict | undefined>;
  private certIdentity?: string;
  identity = '';

  constructor(private readonly o: TtlsSessionOptions) {}

  /** Ends the session from outside (timeout, server shutdown). */
  abort(why: string): void {
    this.channel?.abort(why);
    this.tunnel?.destroy();
    this.state = 'done';
  }

  async handle(eap: EapPacket): Promise<EapAnswer> {
    if (eap.code !== EapCode.RESPONSE)
      return this.fail(`EAP ${EapCode[eap.code] ?? eap.code} where a Response was expected`, eap.identifier);
    if (this.state !== 'identity' && eap.identifier !== this.lastId)
      return { kind: 'drop', reason: `EAP identifier ${eap.identifier}, expected ${this.lastId}` };
    try {
      if (this.state === 'identity') return this.start(eap);
      if (this.state === 'tls') return await this.tls(eap);
      return this.fail('EAP session already ended', eap.identifier);
    } catch (e) {
      if (e instanceof SessionFailure || isDecodeError(e)) return this.fail(e.message, eap.identifier);
      return this.fail(`TLS: ${(e as Error).message}`, eap.identifier);
    }
  }

  private start(eap: EapPacket): EapAnswer {
    if (eap.type !== EapType.IDENTITY)
      throw new SessionFailure(`expected EAP_IDENTITY, got ${eapTypeName(eap.type ?? 0)}`);
    this.identity = printable(eap.data);
    this.o.log.info('IKE', `received EAP identity '${this.identity}'`);
    this.o.log.info('IKE', `initiating EAP_TTLS method`);
    this.state = 'tls';
    return this.request(
      encodeTlsMethodData({ start: true, more: false, version: TTLS_VERSION, data: Buffer.alloc(0) }, 'ttls'),
      eap.identifier,
    );
  }

  private async tls(eap: EapPacket): Promise<EapAnswer> {
    if (eap.type === EapType.NAK) throw new SessionFailure('peer does not support EAP_TTLS');
    if (eap.type !== EapType.TTLS) throw new SessionFailure(`expected EAP_TTLS, got ${eapTypeName(eap.type ?? 0)}`);
    const frag = decodeTlsMethodData(eap.data, 'ttls', 5);
    if (frag.version !== TTLS_VERSION) throw new SessionFailure(`EAP_TTLS version ${frag.version} not supported`);
    if (this.pendingFragments.length > 0) {
      // RFC 5281 9.2.2: the peer acknowledges each fragment with an empty response
      if (frag.data.length > 0 || frag.more) throw new SessionFailure('expected an EAP_TTLS fragment acknowledgement');
      return this.sendFragment(eap.identifier);
    }
    const message = this.assembler.push(frag, 5);
    if (message === undefined)
      return this.request(
        encodeTlsMethodData({ start: false, more: false, version: TTLS_VERSION, data: Buffer.alloc(0) }, 'ttls'),
        eap.identifier,
      );
    this.tunnel ??= new TlsTunnel(this.o.context);
    const wasUp = this.tunnel.established;
    const step = await this.tunnel.feed(message);
    if (!wasUp && this.tunnel.established) this.tunnelUp();
    let records = step.records;
    if (step.appData.length > 0) {
      const out = await this.phase2(step.appData);
      if (out.kind === 'done') return this.finish(out.verdict, eap.identifier);
      if (out.kind === 'send') records = Buffer.concat([records, await this.tunnel.write(eapMessageAvp(out.eap))]);
    }
    this.pendingFragments = fragmentTlsMessage(records, this.o.fragmentSize ?? 1024);
    return this.sendFragment(eap.identifier);
  }

  private tunnelUp(): void {
    const cert = this.tunnel!.peerCertificate();
    if (cert) {
      const why = verifyPeer(cert, this.o.cas);
      if (why) throw new SessionFailure(`TLS client authentication failed: ${why}`);
      this.certIdentity = /CN=([^\n,]+)/.exec(cert.subject)?.[1];
      this.o.log.info('IKE', `EAP_TTLS peer authenticated by certificate '${this.certIdentity ?? cert.subject}'`);
    }
  }

  private sendFragment(responseId: number): EapAnswer {
    const next = this.pendingFragments.shift() ?? {
      start: false,
      more: false,
      version: TTLS_VERSION,
      data: Buffer.alloc(0),
    };
    return this.request(encodeTlsMethodData(next, 'ttls'), responseId);
  }

  private request(typeData: Buffer, responseId: number): EapAnswer {
    this.lastId = (responseId + 1) & 0xff;
    return {
      kind: 'challenge',
      eap: encodeEap({ code: EapCode.REQUEST, identifier: this.lastId, type: EapType.TTLS, data: typeData }),
    };
  }

  /** Phase 2 (RFC 5281 11): the tunnelled EAP conversation. */
  private async phase2(
    appData: Buffer,
  ): Promise<{ kind: 'send'; eap: Buffer } | { kind: 'done'; verdict: FinalVerdict | undefined } | { kind: 'wait' }> {
    this.avpBuffer = Buffer.concat([this.avpBuffer, appData]);
    const { avps, used } = takeAvps(this.avpBuffer, MAX_AVP);
    this.avpBuffer = Buffer.from(this.avpBuffer.subarray(used));
    if (avps.length === 0) return { kind: 'wait' };
    if (avps.length > 1 || this.avpBuffer.length > 0)
      throw new SessionFailure('more than one tunnelled AVP in one message');
    const avp = avps[0];
    // RFC 5281 10.1: an unsupported AVP with M set fails the negotiation; one without is ignored
    if (avp.code !== AVP_EAP_MESSAGE || avp.vendor !== undefined) {
      if (avp.mandatory) throw new SessionFailure(`unsupported mandatory AVP ${avp.code}`);
      return { kind: 'wait' };
    }
    const inner = decodeEap(avp.data);
    if (inner.code !== EapCode.RESPONSE) throw new SessionFailure('tunnelled EAP packet is not a Response');
    this.o.log.debug(
      'IKE',
      `received tunneled EAP-TTLS AVP [EAP/RES/${eapTypeName(inner.type ?? 0).replace('EAP_', '')}]`,
    );
    return this.inner === 'identity' ? this.innerIdentity(inner) : this.ptEap(inner);
  }

  private innerIdentity(inner: EapPacket): { kind: 'send'; eap: Buffer } {
    if (inner.type !== EapType.IDENTITY)
      throw new SessionFailure(`phase 2 starts with EAP_IDENTITY, not ${eapTypeName(inner.type ?? 0)}`);
    const id = printable(inner.data);
    this.o.log.info('IKE', `received EAP identity '${id}'`);
    this.o.log.info('IKE', 'phase2 method EAP_PT_EAP selected');
    const channel = new PtEapChannel(this.certIdentity ?? id);
    this.channel = channel;
    this.served = this.o.serve(channel).finally(() => channel.finished());
    this.inner = 'pt-eap';
    return this.innerRequest(
      encodeTlsMethodData({ start: true, more: false, version: PT_EAP_VERSION, data: Buffer.alloc(0) }, 'pt-eap'),
      inner.identifier,
    );
  }

  private async ptEap(
    inner: EapPacket,
  ): Promise<{ kind: 'send'; eap: Buffer } | { kind: 'done'; verdict: FinalVerdict | undefined }> {
    if (inner.identifier !== this.innerId)
      throw new SessionFailure(`tunnelled EAP identifier ${inner.identifier}, expected ${this.innerId}`);
    if (inner.type === EapType.NAK) throw new SessionFailure('peer does not support EAP_PT_EAP');
    if (inner.type !== EapType.PT_EAP)
      throw new SessionFailure(`expected EAP_PT_EAP, got ${eapTypeName(inner.type ?? 0)}`);
    const pt = decodeTlsMethodData(inner.data, 'pt-eap');
    if (pt.version !== PT_EAP_VERSION) throw new SessionFailure(`PT-EAP version ${pt.version} not supported`);
    if (pt.data.length === 0) throw new SessionFailure('PT-EAP response without a PB-TNC batch');
    this.channel!.deliver(Buffer.from(pt.data));
    const ev = await this.channel!.nextEvent();
    if (ev.kind === 'done') return { kind: 'done', verdict: await this.served! };
    return this.innerRequest(
      encodeTlsMethodData({ start: false, more: false, version: PT_EAP_VERSION, data: ev.batch }, 'pt-eap'),
      inner.identifier,
    );
  }

  private innerRequest(typeData: Buffer, responseId: number): { kind: 'send'; eap: Buffer } {
    this.innerId = (responseId + 1) & 0xff;
    return {
      kind: 'send',
      eap: encodeEap({ code: EapCode.REQUEST, identifier: this.innerId, type: EapType.PT_EAP, data: typeData }),
    };
  }

  private finish(verdict: FinalVerdict | undefined, responseId: number): EapAnswer {
    this.state = 'done';
    if (!verdict) return this.fail('the PB-TNC handshake ended without a verdict', responseId);
    const group =
      verdict.recommendation === Recommendation.ALLOW
        ? 'allow'
        : verdict.recommendation === Recommendation.ISOLATE
          ? 'isolate'
          : 'no access';
    this.o.log.info('TNC', `policy enforced on peer '${this.channel?.peerIdentity ?? this.identity}' is '${group}'`);
    const admitted =
      verdict.recommendation === Recommendation.ALLOW ||
      (verdict.recommendation === Recommendation.ISOLATE && this.o.isolate === 'accept');
    if (!admitted) {
      const reason = `recommendation '${recommendationName(verdict.recommendation)}'${verdict.reasons.length ? `: ${verdict.reasons.join('; ')}` : ''}`;
      return { ...this.fail(reason, responseId), verdict } as EapAnswer;
    }
    this.o.log.info(
      'IKE',
      `EAP_TTLS phase2 authentication of '${this.channel?.peerIdentity ?? this.identity}' with EAP_PT_EAP successful`,
    );
    const msk = this.tunnel!.msk();
    this.o.log.info('IKE', 'EAP method EAP_TTLS succeeded, MSK established');
    this.tunnel!.destroy();
    return {
      kind: 'accept',
      eap: encodeEap({ code: EapCode.SUCCESS, identifier: responseId, data: Buffer.alloc(0) }),
      msk,
      verdict,
    };
  }

  private fail(reason: string, responseId: number): EapAnswer {
    this.o.log.info(
      'IKE',
      `EAP_TTLS authentication of '${this.channel?.peerIdentity ?? this.identity}' failed: ${reason}`,
    );
    this.abort(reason);
    return {
      kind: 'reject',
      eap: encodeEap({ code: EapCode.FAILURE, identifier: responseId, data: Buffer.alloc(0) }),
      reason,
    };
  }
}
