import { PbPaMsg, PbPa } from '../protocol/pb-tnc/ietf/pa';
import type { PbMessage } from '../protocol/pb-tnc/registry';
import type { PaEnvelope } from './types';

/** RFC 5793 4.5: the PB-PA message that carries a PA message between IMCs and IMVs. */
export function envelopeFromPbPa(v: PbPa): PaEnvelope {
  return {
    type: { vendor: v.paVendor, subtype: v.paSubtype },
    collectorId: v.collectorId,
    validatorId: v.validatorId,
    exclusive: v.exclusive,
    body: v.body,
  };
}

export function pbPaFromEnvelope(env: PaEnvelope): PbMessage<PbPa> {
  return PbPaMsg.make({
    exclusive: env.exclusive,
    paVendor: env.type.vendor,
    paSubtype: env.type.subtype,
    collectorId: env.collectorId,
    validatorId: env.validatorId,
    body: env.body,
  });
}
