import type { Socket } from 'node:net';
import { isDecodeError } from '../bytes/errors';
import type { Logger } from '../log';
import { Outbox } from '../tnccs/outbox';
import { ConnectionInfo, ConnectionState, Imc, PaEnvelope, TnccsHost } from '../tnccs/types';
import { connectionReassembly } from '../imcv/reassembly-budget';
import {
  BridgeReply,
  BridgeRequest,
  BRIDGE_VERSION,
  decodeRequest,
  encodeReply,
  FLAG_EXCLUSIVE,
  FrameSplitter,
  RETRY_REASON,
  TNC_RESULT,
} from './protocol';

/** IF-IMC 1.3 TNC_CONNECTION_STATE_* in order (0 = CREATE .. 5 = DELETE). */
const STATES: readonly ConnectionState[] = ['Create', 'Handshake', 'Allowed', 'Isolated', 'None', 'Delete'];
/**
 * strongSwan's EAP transport: max PA-TNC message when the TNCC does not tell, its 65522-byte PB-TNC
 * batch less the headers (maxPaMessageSizeFor, src/tnccs/types.ts).
 */
export const DEFAULT_EAP_MAX_PA_MESSAGE = 65490;

/** What the sessions of one bridge server share. */
export interface BridgeShared {
  /** IMCs attached over the bridge right now: one library per IMC at a time. */
  readonly claims: Set<Imc>;
  /** Per IMC, the library's watch sockets (RETRY frames go there). */
  readonly watchers: Map<Imc, Set<BridgeSession>>;
  /** Every open session. */
  readonly sessions: Set<BridgeSession>;
}

/** IF-IMC states after a handshake ended: a retry re-assesses an established connection. */
const DECIDED: readonly ConnectionState[] = ['Allowed', 'Isolated', 'None'];

/**
 * One IF-IMC library (one IMC inside one TNC client) on one socket: maps its relayed IF-IMC calls
 * onto our Imc object. `TnccsHost.send` queues; the queue for a connection is flushed as SEND frames
 * at the end of the call about that connection, inside the TNCC's call as IF-IMC requires.
 */
export class BridgeSession {
  private imc?: Imc;
  private imcId = 0;
  /** The IMC whose retry requests this socket carries (a WATCH socket). */
  private watched?: Imc;
  private readonly conns = new Map<number, ConnectionInfo>();
  private readonly states = new Map<number, ConnectionState>();
  private readonly outbox = new Outbox();
  private readonly splitter = new FrameSplitter();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly imcs: readonly Imc[],
    private readonly shared: BridgeShared,
    private readonly log: Logger,
  ) {
    shared.sessions.add(this);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => void this.queue.then(() => this.detach()));
    socket.on('error', (e) => log.debug('TNC', `IF-IMC bridge socket error: ${e.message}`));
  }

  private onData(chunk: Buffer): void {
    try {
      for (const { frame, offset } of this.splitter.push(chunk)) {
        const req = decodeRequest(frame, offset);
        this.queue = this.queue.then(() => this.handle(req)).catch((e: Error) => this.fail(e));
      }
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      this.log.error('TNC', `IF-IMC bridge: malformed frame from the TNC client library: ${e.message}`);
      this.socket.destroy();
    }
  }

  private fail(e: Error): void {
    this.log.error('TNC', `IF-IMC bridge: ${e.message}`);
    this.socket.destroy();
  }

  private reply(r: BridgeReply): void {
    if (!this.socket.destroyed) this.socket.write(encodeReply(r));
  }

  private async handle(req: BridgeRequest): Promise<void> {
    if (this.socket.destroyed) return;
    if (req.kind === 'hello') return this.hello(req);
    if (req.kind === 'watch') return this.watch(req);
    if (!this.imc) return this.reply({ kind: 'done', result: TNC_RESULT.INVALID_PARAMETER });
    let result: number;
    try {
      result = await this.dispatch(this.imc, req);
    } catch (e) {
      this.log.error('IMC', `IMC ${this.imcId} "${this.imc.name}" failed on ${req.kind}: ${(e as Error).message}`);
      result = TNC_RESULT.OTHER;
    }
    if ('connectionId' in req)
      for (const m of this.outbox.take(req.connectionId)) this.reply(sendFrame(req.connectionId, m));
    this.reply({ kind: 'done', result });
  }

  /** Connection IDs whose handshake has ended on this library (candidates for a retry). */
  get decidedConnections(): number[] {
    return [...this.states].filter(([, st]) => DECIDED.includes(st)).map(([id]) => id);
  }

  get attachedImc(): Imc | undefined {
    return this.imc;
  }

  /** On a WATCH socket: asks the library to request a handshake retry from its TNC client. */
  sendRetry(connectionId: number, reason: number): void {
    this.reply({ kind: 'retry', connectionId, reason });
  }

  private watch(req: Extract<BridgeRequest, { kind: 'watch' }>): void {
    const imc = this.imcs.find((i) => i.name.toLowerCase() === req.name.toLowerCase());
    if (req.version !== BRIDGE_VERSION || !imc || this.imc || this.watched) {
      this.log.error('TNC', `IF-IMC bridge refused a retry watch for IMC ${req.imcId} "${req.name}"`);
      return this.reply({
        kind: 'done',
        result: req.version !== BRIDGE_VERSION ? TNC_RESULT.NO_COMMON_VERSION : TNC_RESULT.INVALID_PARAMETER,
      });
    }
    this.watched = imc;
    const set = this.shared.watchers.get(imc) ?? new Set();
    set.add(this);
    this.shared.watchers.set(imc, set);
    this.log.info('TNC', `IMC ${req.imcId} "${imc.name}" watches for handshake retries over the IF-IMC bridge`);
    this.reply({ kind: 'done', result: TNC_RESULT.SUCCESS });
  }

  private hello(req: Extract<BridgeRequest, { kind: 'hello' }>): void {
    const imc = this.imcs.find((i) => i.name.toLowerCase() === req.name.toLowerCase());
    let refusal: [number, string] | undefined;
    if (req.version !== BRIDGE_VERSION)
      refusal = [
        TNC_RESULT.NO_COMMON_VERSION,
        `bridge protocol version ${req.version} (this daemon speaks ${BRIDGE_VERSION})`,
      ];
    else if (this.imc) refusal = [TNC_RESULT.ALREADY_INITIALIZED, 'a second HELLO on one socket'];
    else if (!imc) refusal = [TNC_RESULT.INVALID_PARAMETER, `no IMC named "${req.name}" in this daemon`];
    else if (this.shared.claims.has(imc))
      refusal = [TNC_RESULT.ALREADY_INITIALIZED, `IMC "${imc.name}" is attached by another TNC client library already`];
    if (refusal || !imc) {
      this.log.error('TNC', `IF-IMC bridge refused IMC ${req.imcId} "${req.name}": ${refusal?.[1]}`);
      return this.reply({ kind: 'done', result: refusal?.[0] ?? TNC_RESULT.FATAL });
    }
    this.shared.claims.add(imc);
    this.imc = imc;
    this.imcId = req.imcId;
    const host: TnccsHost = {
      send: (connectionId, msg) => this.outbox.push(connectionId, msg),
      requestHandshakeRetry: (connectionId, reason) => this.retryFromImc(imc, connectionId, reason),
    };
    imc.initialize(req.imcId, host);
    this.log.info('TNC', `IMC ${req.imcId} "${imc.name}" attached over the IF-IMC bridge`);
    this.reply({ kind: 'welcome', version: BRIDGE_VERSION, subscriptions: [...imc.subscriptions] });
  }

  /** IF-IMC RequestHandshakeRetry from the IMC itself: passed to the TNC client over a watch socket. */
  private retryFromImc(imc: Imc, connectionId: number, reason: string): void {
    const watcher = [...(this.shared.watchers.get(imc) ?? [])][0];
    if (!watcher) {
      this.log.info(
        'TNC',
        `IMC ${this.imcId} "${imc.name}" asked for a handshake retry (${reason}) but its TNC client offers none`,
      );
      return;
    }
    this.log.info(
      'TNC',
      `IMC ${this.imcId} "${imc.name}" asks the TNC client for a handshake retry on Connection ID ${connectionId}: ${reason}`,
    );
    watcher.sendRetry(connectionId, RETRY_REASON.SERIOUS_EVENT);
  }

  private async dispatch(imc: Imc, req: Exclude<BridgeRequest, { kind: 'hello' | 'watch' }>): Promise<number> {
    if (req.kind === 'terminate') {
      await imc.terminate?.();
      return TNC_RESULT.SUCCESS;
    }
    if (req.kind === 'notify' && req.state === 0) return this.create(imc, req);
    const conn = this.conns.get(req.connectionId);
    if (!conn) {
      this.log.error('IMC', `IMC ${this.imcId} "${imc.name}" has no state for Connection ID ${req.connectionId}`);
      return TNC_RESULT.INVALID_PARAMETER;
    }
    switch (req.kind) {
      case 'notify':
        this.states.set(conn.id, STATES[req.state]);
        await imc.notifyConnectionChange(conn, STATES[req.state]);
        if (STATES[req.state] === 'Delete') this.forget(conn.id);
        return TNC_RESULT.SUCCESS;
      case 'begin':
        await imc.beginHandshake(conn.id);
        return TNC_RESULT.SUCCESS;
      case 'receive':
        await imc.receiveMessage(conn.id, envelope(req));
        return TNC_RESULT.SUCCESS;
      case 'batchEnding':
        await imc.batchEnding(conn.id);
        return TNC_RESULT.SUCCESS;
    }
  }

  private async create(imc: Imc, req: Extract<BridgeRequest, { kind: 'notify' }>): Promise<number> {
    if (this.conns.has(req.connectionId)) return TNC_RESULT.OTHER;
    const conn: ConnectionInfo = {
      id: req.connectionId,
      maxPaMessageSize: req.maxMessageSize || DEFAULT_EAP_MAX_PA_MESSAGE,
      transport: req.iftProtocol === 'IF-T for TLS' ? 'pt-tls' : 'eap',
      language: req.language || 'en',
      log: this.log,
      reassembly: connectionReassembly(),
    };
    this.conns.set(conn.id, conn);
    this.states.set(conn.id, 'Create');
    await imc.notifyConnectionChange(conn, 'Create');
    return TNC_RESULT.SUCCESS;
  }

  private forget(connectionId: number): void {
    this.conns.delete(connectionId);
    this.states.delete(connectionId);
    this.outbox.drop(connectionId);
  }

  /** The library went away (TNC client stopped or unloaded us): end its connections' states. */
  private async detach(): Promise<void> {
    this.shared.sessions.delete(this);
    if (this.watched) this.shared.watchers.get(this.watched)?.delete(this);
    const imc = this.imc;
    if (!imc) return;
    for (const conn of [...this.conns.values()]) {
      await imc.notifyConnectionChange(conn, 'Delete');
      this.forget(conn.id);
    }
    this.shared.claims.delete(imc);
    this.imc = undefined;
    this.log.info('TNC', `IMC ${this.imcId} "${imc.name}" detached from the IF-IMC bridge`);
  }
}

function envelope(req: Extract<BridgeRequest, { kind: 'receive' }>): PaEnvelope {
  // IF-IMC 1.3 ReceiveMessageLong: the source IMV and destination IMC are PB-PA's validator and collector IDs
  return {
    type: req.type,
    collectorId: req.destinationImcId,
    validatorId: req.sourceImvId,
    exclusive: (req.flags & FLAG_EXCLUSIVE) !== 0,
    body: req.body,
  };
}

function sendFrame(connectionId: number, m: PaEnvelope): BridgeReply {
  return {
    kind: 'send',
    connectionId,
    flags: m.exclusive ? FLAG_EXCLUSIVE : 0,
    type: m.type,
    destinationImvId: m.validatorId,
    body: m.body,
  };
}
