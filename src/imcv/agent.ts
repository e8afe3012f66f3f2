import type { PaCodecs } from '../protocol/pa-tnc/registry';
import type { PaMessageType } from '../protocol/vendors';
import type { ArIdentity, ConnectionInfo, ConnectionState, PaEnvelope, TnccsHost } from '../tnccs/types';
import { PaPort, ReceivedPa, Role } from './pa-port';

/** Per-connection state every IMC/IMV keeps; agents extend it. */
export interface AgentState {
  readonly conn: ConnectionInfo;
  readonly port: PaPort;
}

/**
 * Plumbing shared by every IMC and IMV (the IF-IMC/IF-IMV calls): IDs, per-connection state,
 * decoding received PA messages, and the log lines strongSwan writes for them. Subclasses
 * implement the posture logic in `createState` and `handle`.
 */
export abstract class Agent<S extends AgentState, H extends TnccsHost> {
  abstract readonly name: string;
  abstract readonly subscriptions: readonly PaMessageType[];
  /** The PA-TNC attribute families it reads (src/imcv/codecs/): an IMC and its IMV share one set. */
  abstract readonly codecs: PaCodecs;
  protected abstract readonly role: Role;
  protected id = 0;
  protected host!: H;
  private readonly states = new Map<number, S>();

  initialize(id: number, host: H): void {
    this.id = id;
    this.host = host;
  }

  protected abstract createState(conn: ConnectionInfo, port: PaPort): S;
  /** Processes one decoded PA message. */
  protected abstract handle(state: S, msg: ReceivedPa): void | Promise<void>;
  protected batchEnded(_state: S): void | Promise<void> {}
  protected deleted(_state: S): void {}

  notifyConnectionChange(conn: ConnectionInfo, change: ConnectionState): void {
    const label = `${this.role} ${this.id} "${this.name}"`;
    if (change === 'Create') {
      const port = new PaPort(conn, this.host, this.id, this.role, this.codecs);
      this.states.set(conn.id, this.createState(conn, port));
      conn.log.info(this.role, `${label} created a state for IF-TNCCS 2.0 Connection ID ${conn.id}: +long +excl -soh`);
      conn.log.debug(
        this.role,
        `  over IF-T for ${conn.transport === 'pt-tls' ? 'TLS 2.0' : 'Tunneled EAP 2.0'} with maximum PA-TNC message size of ${conn.maxPaMessageSize} bytes`,
      );
      // strongSwan logs the AR identities once per connection, with the first IMV's state (test/data/vectors/server.log)
      if (this.role === 'IMV' && this.id === 1) logArIdentities(conn);
      return;
    }
    const state = this.states.get(conn.id);
    if (!state) return;
    if (change === 'Delete') {
      state.port.close();
      this.deleted(state);
      this.states.delete(conn.id);
      conn.log.info(this.role, `${label} deleted the state of Connection ID ${conn.id}`);
    } else {
      conn.log.info(this.role, `${label} changed state of Connection ID ${conn.id} to '${change}'`);
    }
  }

  async receiveMessage(connectionId: number, env: PaEnvelope): Promise<void> {
    const state = this.state(connectionId);
    if (!state) return;
    const peer = this.role === 'IMC' ? `IMV ${env.validatorId}` : `IMC ${env.collectorId}`;
    const to = env.exclusive ? ` to ${this.role} ${this.id}` : '';
    state.conn.log.info(
      this.role,
      `${this.role} ${this.id} "${this.name}" received message for Connection ID ${connectionId} from ${peer}${to}`,
    );
    const msg = state.port.receive(env);
    if (msg && msg.attributes.length > 0) await this.handle(state, msg);
  }

  async batchEnding(connectionId: number): Promise<void> {
    const state = this.state(connectionId);
    if (state) await this.batchEnded(state);
  }

  protected state(connectionId: number): S | undefined {
    return this.states.get(connectionId);
  }
}

function logArIdentities(conn: ConnectionInfo): void {
  const line = (kind: string, a: ArIdentity) =>
    conn.log.debug('IMV', `  ${kind} AR identity '${a.value}' of type ${a.type} authenticated by ${a.authenticatedBy}`);
  const { user, machine } = conn.arIdentities ?? {};
  if (user) line('user', user);
  if (machine) line('machine', machine);
}
