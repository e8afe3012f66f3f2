import assert from 'node:assert/strict';
import { join } from 'node:path';
import { akDeviceId } from '../../src/imcs/attestation';
import { extendLabEvidence } from '../../src/lab';
import { silentLogger } from '../../src/log';
import { decodeImaBinary, decodeImaFields } from '../../src/measurements/ima';
import { Tpm } from '../../src/tpm/tpm';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { repo } from './debian-root';

/** The recorded boot the packaging tests attest: a Debian 12 guest's event log and IMA list (SeaBIOS). */
export const LAB = join(repo, 'test', 'data', 'fixtures', 'vm', 'seabios');

/** swtpm on loopback (a chroot shares the network) with an AK and the recorded boot extended into its PCRs. */
export async function startLabTpm(): Promise<{ sw: Swtpm; deviceId: string }> {
  const sw = await startSwtpm();
  const tpm = await Tpm.open(sw.tcti);
  try {
    await tpm.provisionAk();
    await extendLabEvidence(tpm, sw.tcti, LAB, silentLogger);
    return { sw, deviceId: await akDeviceId(tpm) };
  } finally {
    await tpm.close();
  }
}

/**
 * The binary IMA list with the file digest of the entry for `path` changed in its last byte (the entry's
 * template hash left as measured, so it no longer matches its data).
 */
export function tamperFileDigest(list: Buffer, path: string): Buffer {
  const entry = decodeImaBinary(list).find((e) => decodeImaFields(e).path === path);
  assert.ok(entry, `${path} is not in the recorded IMA list`);
  const digest = decodeImaFields(entry).fileDigest.digest;
  const at = list.indexOf(digest, entry.dataOffset);
  assert.ok(at > entry.dataOffset && at < entry.dataOffset + entry.templateData.length);
  const out = Buffer.from(list);
  out[at + digest.length - 1] ^= 0x01;
  return out;
}
