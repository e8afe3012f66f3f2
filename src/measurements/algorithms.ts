import { getHashes, hash } from 'node:crypto';

/** A PCR bank's hash algorithm: TPM_ALG_ID, name as tpm2-tools prints it, digest size, node:crypto name. */
export interface BankAlgorithm {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly node: string;
}

// TCG Algorithm Registry (TPM_ALG_ID values); names as tpm2-tools and strongSwan print them.
export const KNOWN_BANKS: readonly BankAlgorithm[] = [
  { id: 0x0004, name: 'sha1', size: 20, node: 'sha1' },
  { id: 0x000b, name: 'sha256', size: 32, node: 'sha256' },
  { id: 0x000c, name: 'sha384', size: 48, node: 'sha384' },
  { id: 0x000d, name: 'sha512', size: 64, node: 'sha512' },
  { id: 0x0012, name: 'sm3_256', size: 32, node: 'sm3' },
  { id: 0x0027, name: 'sha3_256', size: 32, node: 'sha3-256' },
  { id: 0x0028, name: 'sha3_384', size: 48, node: 'sha3-384' },
  { id: 0x0029, name: 'sha3_512', size: 64, node: 'sha3-512' },
];

const nodeHashes = new Set(getHashes());

export function bankById(id: number): BankAlgorithm | undefined {
  return KNOWN_BANKS.find((b) => b.id === id);
}

export function bankByName(name: string): BankAlgorithm | undefined {
  return KNOWN_BANKS.find((b) => b.name === name);
}

/** True when node:crypto can compute this bank's hash (sm3 depends on the OpenSSL build). */
export function canHash(bank: BankAlgorithm): boolean {
  return nodeHashes.has(bank.node);
}

export function digestOf(bank: BankAlgorithm, data: Buffer): Buffer {
  return hash(bank.node, data, 'buffer');
}
