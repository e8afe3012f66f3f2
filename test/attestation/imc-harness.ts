import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import type { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { decodeBatch } from '../../src/protocol/pb-tnc';
import { PbPaMsg } from '../../src/protocol/pb-tnc/ietf/pa';
import { PA_SUBTYPE } from '../../src/protocol/vendors';
import { encodeAttest } from '../../src/tpm/attest';
import { ALG, ST_ATTEST, TPM_GENERATED_VALUE } from '../../src/tpm/constants';
import { decodePcrSelectionList } from '../../src/tpm/pcr';
import { encodeSignature } from '../../src/tpm/signature';
import type { QuoteEvidence } from '../../src/tpm/verify';
import type { UntrustedEvidenceFinal } from '../../src/protocol/pa-tnc/tcg/pts';
import type { ConnectionInfo, PaEnvelope } from '../../src/tnccs/types';
import type { AttestationImc } from '../../src/imcs/attestation';

export const VECTORS = join(__dirname, '..', 'data', 'vectors');
const IMV_ID = 3;

/** The PA-TNC messages of subtype PTS that strongSwan's Attestation IMV sent, in capture order. */
export function imvPtsMessages(dir = VECTORS): Buffer[] {
  const files = readdirSync(dir)
    .filter((f) => /-server_to_client-SDATA\.bin$/.test(f))
    .sort();
  const out: Buffer[] = [];
  for (const f of files) {
    for (const m of decodeBatch(readFileSync(join(dir, f)), ALL_CODECS.pb).messages) {
      if (!PbPaMsg.is(m)) continue;
      if (m.value.paVendor === PA_SUBTYPE.PTS.vendor && m.value.paSubtype === PA_SUBTYPE.PTS.subtype)
        out.push(m.value.body);
    }
  }
  return out;
}

/** One IMC on one connection, driven with PA messages the way an IMV sends them. */
export class ImcHarness {
  readonly sent: PaEnvelope[] = [];
  readonly logSink = new MemorySink();
  readonly conn: ConnectionInfo;

  constructor(
    readonly imc: AttestationImc,
    maxPaMessageSize = 65_000,
  ) {
    this.conn = {
      id: 1,
      maxPaMessageSize,
      transport: 'pt-tls',
      language: 'en',
      log: new Logger(1, 'text', this.logSink),
    };
    imc.initialize(3, { send: (_id, env) => void this.sent.push(env) });
    imc.notifyConnectionChange(this.conn, 'Create');
  }

  /** Delivers one PA message and returns every attribute the IMC answered with, in order. */
  async deliver(body: Buffer): Promise<PaAttribute[]> {
    const from = this.sent.length;
    await this.imc.receiveMessage(1, {
      type: PA_SUBTYPE.PTS,
      collectorId: 3,
      validatorId: IMV_ID,
      exclusive: true,
      body,
    });
    await this.imc.batchEnding(1);
    return this.sent.slice(from).flatMap((env) => decodePaMessage(env.body, ALL_CODECS.pa).attributes);
  }

  async send(attributes: PaAttribute[]): Promise<PaAttribute[]> {
    return this.deliver(encodePaMessage({ messageId: 7, attributes }));
  }
}

/**
 * What a verifier does with a TPM 2.0 Simple Evidence Final (PTS 3.15.2; TPM 2.0 Library Part 2 10.12, TPMS_ATTEST): rebuild the
 * TPMS_ATTEST from the copied parts, its own nonce (the DH secret) and its own PCR composite
 * digest, and the TPMT_SIGNATURE from the raw RSA signature.
 */
export function rebuildQuote(sef: UntrustedEvidenceFinal, secret: Buffer, compositeDigest: Buffer): QuoteEvidence {
  const t = sef.tpm2!;
  const attest = encodeAttest({
    magic: TPM_GENERATED_VALUE,
    type: ST_ATTEST.QUOTE,
    qualifiedSigner: t.qualifiedSigner,
    extraData: secret,
    clockInfo: {
      clock: t.clockInfo.readBigUInt64BE(0),
      resetCount: t.clockInfo.readUInt32BE(8),
      restartCount: t.clockInfo.readUInt32BE(12),
      safe: t.clockInfo[16] === 1,
    },
    firmwareVersion: t.firmwareVersion.readBigUInt64BE(0),
    quote: { pcrSelect: decodePcrSelectionList(t.pcrSelection), pcrDigest: compositeDigest },
  });
  return { attest, signature: encodeSignature({ sigAlg: ALG.RSASSA, hash: ALG.SHA256, sig: sef.quoteSignature! }) };
}
