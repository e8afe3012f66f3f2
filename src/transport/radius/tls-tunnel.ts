import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';

/** An in-memory byte pipe under a TLSSocket: what TLS writes is collected, what the peer sent is pushed. */
export class RecordPipe extends Duplex {
  private out: Buffer[] = [];
  writes = 0;

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.out.push(chunk);
    this.writes++;
    done();
  }

  drain(): Buffer {
    const b = Buffer.concat(this.out);
    this.out = [];
    return b;
  }
}

/** Event-loop turns without new TLS output before a step counts as finished (TLS runs on the main thread). */
const QUIET_TURNS = 3;
/** A step that never settles (a TLS bug) is cut off rather than spinning. */
const MAX_TURNS = 10_000;

export interface TunnelStep {
  /** TLS records to send to the peer. */
  readonly records: Buffer;
  /** Decrypted application data the peer sent. */
  readonly appData: Buffer;
}

/**
 * The server end of a TLS session whose records travel in EAP (RFC 5281 EAP-TTLS): node:tls over
 * an in-memory stream. `feed` gives it the peer's records and returns what TLS answers; `write`
 * encrypts application data. TLS 1.2 at most: RFC 5281 keying ("ttls keying material") is defined
 * for TLS 1.2 and earlier (strongSwan's EAP-TTLS stays at 1.2 as well).
 */
export class TlsTunnel {
  private readonly pipe = new RecordPipe();
  private readonly socket: TLSSocket;
  private appData: Buffer[] = [];
  private failure?: Error;
  private secure = false;

  constructor(context: SecureContext) {
    this.socket = new TLSSocket(this.pipe, {
      isServer: true,
      secureContext: context,
      requestCert: true,
      rejectUnauthorized: false,
    });
    this.socket.on('secure', () => (this.secure = true));
    this.socket.on('data', (d: Buffer) => this.appData.push(d));
    this.socket.on('error', (e: Error) => (this.failure ??= e));
  }

  get established(): boolean {
    return this.secure;
  }

  async feed(records: Buffer): Promise<TunnelStep> {
    this.pipe.push(records);
    return this.settle();
  }

  async write(data: Buffer): Promise<Buffer> {
    this.socket.write(data);
    return (await this.settle()).records;
  }

  /** RFC 5281 8: MSK = the first 64 bytes of PRF(master secret, "ttls keying material", client random + server random). */
  msk(): Buffer {
    return this.socket.exportKeyingMaterial(64, 'ttls keying material', undefined as unknown as Buffer);
  }

  /** The client's certificate, when it sent one (not yet verified: see verifyPeer). */
  peerCertificate(): X509Certificate | undefined {
    return this.socket.getPeerX509Certificate();
  }

  destroy(): void {
    this.socket.destroy();
    this.pipe.destroy();
  }

  private async settle(): Promise<TunnelStep> {
    let last = -1;
    let quiet = 0;
    for (let turn = 0; quiet < QUIET_TURNS && turn < MAX_TURNS; turn++) {
      await new Promise<void>((r) => setImmediate(r));
      const seen = this.pipe.writes + this.appData.length;
      quiet = seen === last ? quiet + 1 : 0;
      last = seen;
    }
    if (this.failure) throw this.failure;
    const appData = Buffer.concat(this.appData);
    this.appData = [];
    return { records: this.pipe.drain(), appData };
  }
}

/**
 * The client certificate checked against the configured CAs: issued and signed by one of them
 * (directly), within its validity period. Returns the reason it fails, or undefined when it holds.
 */
export function verifyPeer(
  cert: X509Certificate,
  cas: readonly X509Certificate[],
  now = new Date(),
): string | undefined {
  const issuer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (!issuer) return `certificate '${cert.subject.replace(/\n/g, ', ')}' is not signed by a configured CA`;
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo))
    return `certificate '${cert.subject.replace(/\n/g, ', ')}' is not valid now`;
  return undefined;
}
