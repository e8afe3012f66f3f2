import { connect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { decodePtTlsMessage, PtTlsFramer, type PtTlsMessage } from '../../src/protocol/pt-tls';
import type { LabPki } from '../../src/cli/commands/pki';

/** A hand-driven TLS peer for hostile-input tests: writes raw bytes, reads whole PT-TLS messages until close. */
export class RawPeer {
  private readonly framer = new PtTlsFramer();
  readonly received: PtTlsMessage[] = [];
  readonly ended: Promise<void>;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (c: Buffer) =>
      this.received.push(...this.framer.push(c).map((m) => decodePtTlsMessage(m.bytes))),
    );
    socket.on('error', () => undefined); // a reset after the server's close is expected here
    this.ended = once(socket, 'close').then(() => undefined);
  }

  static async connect(port: number, pki: LabPki, withCert = true): Promise<RawPeer> {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: pki.pem.ca,
      ...(withCert ? { cert: pki.pem.clientCert, key: pki.pem.clientKey } : {}),
    });
    await once(socket, 'secureConnect');
    return new RawPeer(socket);
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }
}
