import { createECDH, getDiffieHellman, hash, type DiffieHellmanGroup, type ECDH } from 'node:crypto';
import { DH_GROUP, hashAlgInfo } from '../../protocol/pa-tnc/tcg/pts';

/** PTS 3.8.1; strongSwan's pts_dh_group.c: the responder picks the strongest offered group, ECP_384 first. */
const PREFERENCE = [DH_GROUP.ECP_384, DH_GROUP.ECP_256, DH_GROUP.MODP_2048, DH_GROUP.MODP_1536, DH_GROUP.MODP_1024];
export const SUPPORTED_DH_GROUPS = PREFERENCE.reduce((a, g) => a | g, 0);

const CURVES = new Map<number, { curve: string; size: number }>([
  [DH_GROUP.ECP_256, { curve: 'prime256v1', size: 32 }],
  [DH_GROUP.ECP_384, { curve: 'secp384r1', size: 48 }],
]);
// RFC 2409 6.2 (group 2), RFC 3526 2 (group 5) and 3 (group 14): node's built-in MODP groups
const MODP = new Map<number, string>([
  [DH_GROUP.MODP_1024, 'modp2'],
  [DH_GROUP.MODP_1536, 'modp5'],
  [DH_GROUP.MODP_2048, 'modp14'],
]);

export function selectDhGroup(offered: number): number | undefined {
  return PREFERENCE.find((g) => offered & g);
}

function leftPad(b: Buffer, size: number): Buffer {
  return b.length >= size ? b : Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/** A peer public value the group cannot use (wrong length, not on the curve, out of range). */
export class BadDhPublicValue extends Error {
  override readonly name = 'BadDhPublicValue';
}

/** One DH key pair of the responder (the IMC) for a PTS DH-nonce exchange. */
export class DhKeyPair {
  private readonly ecdh?: ECDH;
  private readonly modp?: DiffieHellmanGroup;
  private readonly size: number;

  constructor(readonly group: number) {
    const ec = CURVES.get(group);
    if (ec) {
      this.ecdh = createECDH(ec.curve);
      this.ecdh.generateKeys();
      this.size = ec.size;
    } else {
      const name = MODP.get(group);
      if (!name) throw new RangeError(`DH group 0x${group.toString(16)} not supported`);
      this.modp = getDiffieHellman(name);
      this.modp.generateKeys();
      this.size = this.modp.getPrime().length;
    }
  }

  /** PTS 3.8.2 / 3.8.3 public values (strongSwan's pts_dh_group.c): ECP = X‖Y without the 0x04 prefix; MODP = big-endian, padded to the prime length. */
  publicValue(): Buffer {
    if (this.ecdh) return this.ecdh.getPublicKey().subarray(1);
    return leftPad(this.modp!.getPublicKey(), this.size);
  }

  /** Z: ECP = the X coordinate; MODP = g^xy padded to the prime length. */
  sharedSecret(peer: Buffer): Buffer {
    try {
      if (this.ecdh) {
        if (peer.length !== 2 * this.size)
          throw new BadDhPublicValue(`ECP public value of ${peer.length} bytes, expected ${2 * this.size}`);
        return this.ecdh.computeSecret(Buffer.concat([Buffer.from([4]), peer]));
      }
      if (peer.length !== this.size)
        throw new BadDhPublicValue(`MODP public value of ${peer.length} bytes, expected ${this.size}`);
      return leftPad(this.modp!.computeSecret(peer), this.size);
    } catch (e) {
      if (e instanceof BadDhPublicValue) throw e;
      throw new BadDhPublicValue((e as Error).message);
    }
  }
}

/**
 * PTS 3.8 (the secret assessment value; strongSwan's pts.c, checked against its logged values):
 * secret = H(0x31 ‖ initiator nonce ‖ responder nonce ‖ Z), H = the DH Nonce Finish's hash.
 */
export function ptsSecret(hashBit: number, initiatorNonce: Buffer, responderNonce: Buffer, z: Buffer): Buffer {
  const h = hashAlgInfo(hashBit);
  if (!h) throw new RangeError(`hash 0x${hashBit.toString(16)} not supported`);
  return hash(h.node, Buffer.concat([Buffer.from('1', 'latin1'), initiatorNonce, responderNonce, z]), 'buffer');
}
