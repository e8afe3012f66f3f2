import type { Logger } from '../log';
import { DH_GROUP, HASH_ALG, ITA_COMPONENT_NAMES, dhGroupName, hashAlgInfo } from '../protocol/pa-tnc/tcg/pts';
import { paSubtypeLabel, vendorName, VENDOR } from '../protocol/vendors';
import type { Imv } from '../tnccs/types';

/** Where our IMVs come from: they are compiled in, not loaded from shared objects. */
export const BUILT_IN = 'built-in';

/** The start of strongSwan's TNC server log: where the IMVs come from and the attribute namespaces their codecs know. */
export function logImvLoading(log: Logger, attributeVendors: readonly number[]): void {
  log.info('TNC', `loading IMVs from '${BUILT_IN}'`);
  const names = [...new Set(attributeVendors)].map(vendorName).sort();
  for (const v of names) log.debug('TNC', `added ${v} attributes`);
}

/** One IMV's start-up lines; `details` logs what the IMV itself reports between "initialized" and its message types. */
export function logImvLoaded(log: Logger, id: number, imv: Imv, details?: () => void): void {
  log.info('IMV', `IMV ${id} "${imv.name}" initialized`);
  details?.();
  const n = imv.subscriptions.length;
  log.debug(
    'TNC',
    `IMV ${id} supports ${n} message type${n === 1 ? '' : 's'}: ${imv.subscriptions.map(paSubtypeLabel).join(' ')}`,
  );
  log.info('TNC', `IMV ${id} "${imv.name}" loaded from '${BUILT_IN}'`);
}

/** The PTS functional component namespaces and names the attestation verifier knows (TCG PTS 5.1, ITA-HSR). */
export function logPtsComponents(log: Logger): void {
  log.debug('PTS', `added ${vendorName(VENDOR.TCG)} functional component namespace`);
  log.debug('PTS', `added ${vendorName(VENDOR.ITA)} functional component namespace`);
  for (const name of ITA_COMPONENT_NAMES)
    log.debug('PTS', `added ${vendorName(VENDOR.ITA)} functional component '${name}'`);
}

export interface PtsOffer {
  /** TCG PTS 3.9.1 measurement algorithm bits the verifier offers. */
  readonly algorithms: number;
  /** TCG PTS 3.8.1 DH group bits the verifier offers. */
  readonly dhGroups: number;
  /** The file of AIK CA certificates; undefined when none is configured. */
  readonly caFile?: string;
}

// which ones strongSwan calls mandatory (test/data/vectors/server.log), in its order
const MANDATORY = new Set<number>([HASH_ALG.SHA1, HASH_ALG.SHA256, DH_GROUP.ECP_256]);
const ALGORITHM_ORDER = [HASH_ALG.SHA1, HASH_ALG.SHA256, HASH_ALG.SHA384, HASH_ALG.SHA512];
const DH_ORDER = [DH_GROUP.MODP_2048, DH_GROUP.MODP_1536, DH_GROUP.MODP_1024, DH_GROUP.ECP_256, DH_GROUP.ECP_384];

/** What the Attestation IMV offers, as strongSwan lists its PTS algorithms at start-up (node:crypto is OpenSSL). */
export function logPtsOffer(log: Logger, o: PtsOffer): void {
  if (o.caFile) log.info('PTS', `loading PTS ca certificates from '${o.caFile}'`);
  else log.info('PTS', 'no PTS cacerts directory defined');
  const kind = (bit: number) => (MANDATORY.has(bit) ? 'mandatory' : 'optional ');
  for (const bit of ALGORITHM_ORDER.filter((b) => o.algorithms & b)) {
    log.debug('PTS', `  ${kind(bit)} PTS measurement algorithm ${hashAlgInfo(bit)!.name}[openssl] available`);
  }
  for (const bit of DH_ORDER.filter((b) => o.dhGroups & b))
    log.debug('PTS', `  ${kind(bit)} PTS DH group ${dhGroupName(bit)}[openssl] available`);
}
