import { createSocket } from 'node:dgram';
import { connect, type TLSSocket } from 'node:tls';
import {
  decodeEap,
  decodeTlsMethodData,
  EapCode,
  EapType,
  eapMessageAvp,
  encodeEap,
  encodeTlsMethodData,
  FragmentAssembler,
  fragmentTlsMessage,
  PT_EAP_VERSION,
  takeAvps,
  TTLS_VERSION,
  type EapPacket,
} from '../../src/protocol/eap';
import {
  checkAnswer,
  decodeVendorAttribute,
  decryptMppeKey,
  joinEapMessage,
  MS_MPPE_RECV_KEY,
  MS_MPPE_SEND_KEY,
  RadiusAttr,
  RadiusCode,
  signRequest,
  splitEapMessage,
  VENDOR_MICROSOFT,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../src/protocol/radius';
import type { BatchChannel } from '../../src/tnccs/types';
import { RecordPipe } from '../../src/transport/radius/tls-tunnel';

/**
 * The client half of EAP-TTLS/PT-EAP for tests, standing where a gateway's eap-radius and a VPN
 * client's EAP-TTLS peer stand: node:tls over an in-memory pipe, our PB-TNC client over PT-EAP,
 * every EAP packet carried to the RADIUS server in a signed Access-Request over real UDP.
 */
/** The PB-TNC client's channel: batches it sends are picked up by the EAP loop, server batches delivered. */
export class ClientPtEapChannel implements BatchChannel {
  readonly transport = 'eap' as const;
  readonly maxBatchSize = 32754; // strongSwan's client setting for PT-EAP
  private inbox: Buffer[] = [];
  private waiter?: (b: Buffer) => void;
  private outbox: Buffer[] = [];
  private outWaiter?: (b: Buffer) => void;
  async send(batch: Buffer): Promise<void> {
    if (this.outWaiter) {
      const w = this.outWaiter;
      this.outWaiter = undefined;
      w(batch);
    } else this.outbox.push(batch);
  }
  receive(): Promise<Buffer> {
    const b = this.inbox.shift();
    return b ? Promise.resolve(b) : new Promise((r) => (this.waiter = r));
  }
  async close(): Promise<void> {}
  deliver(b: Buffer): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(b);
    } else this.inbox.push(b);
  }
  nextOut(): Promise<Buffer> {
    const b = this.outbox.shift();
    return b ? Promise.resolve(b) : new Promise((r) => (this.outWaiter = r));
  }
}

export interface TtlsClientOptions {
  port: number;
  secret: Buffer;
  identity: string;
  ca: string;
  cert?: string;
  key?: string;
  /** Starts the PB-TNC client on the channel once PT-EAP starts. */
  runPbTnc: (channel: ClientPtEapChannel) => Promise<unknown>;
  fragmentSize?: number;
}

export interface TtlsClientResult {
  readonly code: RadiusCode;
  readonly reply?: string;
  readonly filterId?: string;
  /** MS-MPPE-Recv-Key + Send-Key decrypted, and the MSK the TLS client derived itself. */
  readonly radiusMsk?: Buffer;
  readonly clientMsk?: Buffer;
  readonly pbTnc?: unknown;
  /** Every datagram exchanged: [request, answer] pairs (interop vectors). */
  readonly exchange: Buffer[];
  readonly roundTrips: number;
}

async function settle(pipe: RecordPipe, tls: { appData: Buffer[] }): Promise<void> {
  let last = -1;
  let quiet = 0;
  while (quiet < 3) {
    await new Promise<void>((r) => setImmediate(r));
    const seen = pipe.writes + tls.appData.length;
    quiet = seen === last ? quiet + 1 : 0;
    last = seen;
  }
}

export async function runTtlsClient(o: TtlsClientOptions): Promise<TtlsClientResult> {
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const exchange: Buffer[] = [];
  let state: Buffer | undefined;
  let radiusId = 0;
  let roundTrips = 0;
  const transact = (eap: Buffer): Promise<{ packet: RadiusPacket; request: Buffer }> => {
    const attrs: RadiusAttribute[] = [
      { type: RadiusAttr.USER_NAME, value: Buffer.from(o.identity) },
      ...splitEapMessage(eap),
    ];
    if (state) attrs.push({ type: RadiusAttr.STATE, value: state });
    const request = signRequest(radiusId++ & 0xff, attrs, o.secret);
    roundTrips++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no RADIUS answer')), 30_000);
      udp.once('message', (m: Buffer) => {
        clearTimeout(timer);
        exchange.push(request, m);
        try {
          resolve({ packet: checkAnswer(m, request.subarray(4, 20), o.secret), request });
        } catch (e) {
          reject(e as Error);
        }
      });
      udp.send(request, o.port, '127.0.0.1');
    });
  };

  const pipe = new RecordPipe();
  const tlsData = { appData: [] as Buffer[] };
  let tls: TLSSocket | undefined;
  let secure = false;
  let identitySent = false;
  const channel = new ClientPtEapChannel();
  let pbTnc: Promise<unknown> | undefined;
  const assembler = new FragmentAssembler(1 << 20);
  let pending: ReturnType<typeof fragmentTlsMessage> = [];
  let avpBuffer: Buffer = Buffer.alloc(0);
  const ttls = (id: number, data: Buffer) =>
    encodeEap({ code: EapCode.RESPONSE, identifier: id, type: EapType.TTLS, data });
  const ack = (id: number) =>
    ttls(id, encodeTlsMethodData({ start: false, more: false, version: TTLS_VERSION, data: Buffer.alloc(0) }, 'ttls'));

  /** Inner EAP request → inner response bytes (or undefined when the server expects nothing). */
  const inner = async (req: EapPacket): Promise<Buffer> => {
    if (req.type !== EapType.PT_EAP)
      return encodeEap({
        code: EapCode.RESPONSE,
        identifier: req.identifier,
        type: EapType.NAK,
        data: Buffer.from([EapType.PT_EAP]),
      });
    const pt = decodeTlsMethodData(req.data, 'pt-eap');
    if (pt.start) pbTnc = o.runPbTnc(channel);
    else channel.deliver(Buffer.from(pt.data));
    const batch = await channel.nextOut();
    return encodeEap({
      code: EapCode.RESPONSE,
      identifier: req.identifier,
      type: EapType.PT_EAP,
      data: encodeTlsMethodData({ start: false, more: false, version: PT_EAP_VERSION, data: batch }, 'pt-eap'),
    });
  };

  try {
    let answer = await transact(
      encodeEap({ code: EapCode.RESPONSE, identifier: 0, type: EapType.IDENTITY, data: Buffer.from(o.identity) }),
    );
    for (;;) {
      const p = answer.packet;
      if (p.code !== RadiusCode.ACCESS_CHALLENGE) return finish(p, answer.request);
      state = p.attributes.find((a) => a.type === RadiusAttr.STATE)?.value;
      const req = decodeEap(joinEapMessage(p));
      if (req.type !== EapType.TTLS) throw new Error(`server asked for EAP type ${req.type}`);
      const frag = decodeTlsMethodData(req.data, 'ttls');
      let records: Buffer = Buffer.alloc(0);
      if (frag.start) {
        tls = connect({
          socket: pipe,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          servername: 'tnc-server',
          maxVersion: 'TLSv1.2',
          checkServerIdentity: () => undefined,
        });
        tls.on('secureConnect', () => (secure = true));
        tls.on('data', (d: Buffer) => tlsData.appData.push(d));
        tls.on('error', () => undefined);
        await settle(pipe, tlsData);
        records = pipe.drain();
      } else if (pending.length > 0 && frag.data.length === 0) {
        answer = await transact(ttls(req.identifier, encodeTlsMethodData(pending.shift()!, 'ttls')));
        continue;
      } else {
        const whole = assembler.push(frag);
        if (!whole) {
          answer = await transact(ack(req.identifier));
          continue;
        }
        pipe.push(whole);
        await settle(pipe, tlsData);
        records = pipe.drain();
        if (secure && !identitySent) {
          identitySent = true;
          tls!.write(
            eapMessageAvp(
              encodeEap({
                code: EapCode.RESPONSE,
                identifier: 0,
                type: EapType.IDENTITY,
                data: Buffer.from(o.identity),
              }),
            ),
          );
          await settle(pipe, tlsData);
          records = Buffer.concat([records, pipe.drain()]);
        }
        if (tlsData.appData.length > 0) {
          avpBuffer = Buffer.concat([avpBuffer, ...tlsData.appData]);
          tlsData.appData = [];
          const { avps, used } = takeAvps(avpBuffer, 1 << 20);
          avpBuffer = avpBuffer.subarray(used);
          for (const avp of avps) {
            tls!.write(eapMessageAvp(await inner(decodeEap(avp.data))));
            await settle(pipe, tlsData);
            records = Buffer.concat([records, pipe.drain()]);
          }
        }
      }
      pending = fragmentTlsMessage(records, o.fragmentSize ?? 1024);
      answer = await transact(
        ttls(
          req.identifier,
          encodeTlsMethodData(
            pending.shift() ?? { start: false, more: false, version: TTLS_VERSION, data: Buffer.alloc(0) },
            'ttls',
          ),
        ),
      );
    }
  } finally {
    tls?.destroy();
    udp.close();
  }

  async function finish(p: RadiusPacket, request: Buffer): Promise<TtlsClientResult> {
    const keys = new Map<number, Buffer>();
    for (const a of p.attributes.filter((x) => x.type === RadiusAttr.VENDOR_SPECIFIC)) {
      for (const v of decodeVendorAttribute(a.value))
        if (v.vendor === VENDOR_MICROSOFT) keys.set(v.type, decryptMppeKey(v.value, o.secret, request.subarray(4, 20)));
    }
    const radiusMsk =
      keys.has(MS_MPPE_RECV_KEY) && keys.has(MS_MPPE_SEND_KEY)
        ? Buffer.concat([keys.get(MS_MPPE_RECV_KEY)!, keys.get(MS_MPPE_SEND_KEY)!])
        : undefined;
    const clientMsk = secure
      ? tls!.exportKeyingMaterial(64, 'ttls keying material', undefined as unknown as Buffer)
      : undefined;
    return {
      code: p.code,
      reply: p.attributes.find((a) => a.type === RadiusAttr.REPLY_MESSAGE)?.value.toString(),
      filterId: p.attributes.find((a) => a.type === RadiusAttr.FILTER_ID)?.value.toString(),
      radiusMsk,
      clientMsk,
      pbTnc: await pbTnc?.catch((e: Error) => e),
      exchange,
      roundTrips,
    };
  }
}
