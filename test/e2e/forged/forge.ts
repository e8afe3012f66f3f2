import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { AttestationImc } from '../../../src/imcs/attestation';
import type { EvidenceState } from '../../../src/imcs/attestation/component-evidence';
import type { ReceivedPa, SendOptions } from '../../../src/imcv/pa-port';
import type { PaAttribute } from '../../../src/protocol/pa-tnc/registry';
import { DeviceIdAttr } from '../../../src/protocol/pa-tnc/ita';
import { ProductInformationAttr } from '../../../src/protocol/pa-tnc/ietf/product-information';
import { StringVersionAttr } from '../../../src/protocol/pa-tnc/ietf/versions';
import * as pts from '../../../src/protocol/pa-tnc/tcg/pts';
import { ImaTemplateDataAttr } from '../../../src/protocol/pa-tnc/tnc-agent';
import { PA_SUBTYPE, type PaMessageType } from '../../../src/protocol/vendors';

/** What a forgery may do besides rewriting the IMC's PTS attributes: send other PA messages. */
export interface ForgeContext {
  inject(type: PaMessageType, attributes: PaAttribute[]): void;
}
export type Forge = (attrs: PaAttribute[], ctx: ForgeContext) => PaAttribute[];

/**
 * The real Attestation IMC (real TPM quote, real evidence), whose outgoing PTS attributes a hostile
 * endpoint rewrites before they reach the wire: the attacker controls the agent, not the TPM.
 */
export class ForgingImc extends AttestationImc {
  forge?: Forge;

  protected override async handle(state: EvidenceState, msg: ReceivedPa): Promise<void> {
    const port = state.port;
    const send = port.send.bind(port);
    const sendLater = port.sendLater.bind(port);
    const ctx: ForgeContext = { inject: (type, attributes) => send(type, attributes) };
    // the IMC's answers are made as batches take them; the forger takes them all at once
    port.sendLater = (type: PaMessageType, attributes: Iterable<PaAttribute>, opts?: SendOptions) =>
      sendLater(type, this.forge ? this.forge([...attributes], ctx) : attributes, opts);
    try {
      await super.handle(state as never, msg);
    } finally {
      port.sendLater = sendLater;
    }
  }
}

const isSce = (a: PaAttribute): a is PaAttribute<pts.UntrustedComponentEvidence> =>
  pts.SimpleComponentEvidenceAttr.is(a);
const qualifier = (a: PaAttribute) => (isSce(a) ? a.value.component.qualifier : undefined);
export const isBios = (a: PaAttribute) => qualifier(a) === 0x21;
export const isIma = (a: PaAttribute) => qualifier(a) === 0x22;
export const isTemplate = (a: PaAttribute) => ImaTemplateDataAttr.is(a);
export const isFinal = (a: PaAttribute): a is PaAttribute<pts.UntrustedEvidenceFinal> =>
  pts.SimpleEvidenceFinalAttr.is(a);
const isEvidence = (attrs: PaAttribute[]) => attrs.some(isFinal);

/** Applies `f` to the evidence message only; every SCE loses its claimed before/after values (a forger recomputes or drops them). */
export function onEvidence(f: (attrs: PaAttribute[]) => PaAttribute[]): Forge {
  return (attrs) => {
    if (!isEvidence(attrs)) return attrs;
    const plain = attrs.map((a) =>
      isSce(a) ? pts.SimpleComponentEvidenceAttr.make({ ...a.value, pcrChange: undefined }) : a,
    );
    return f(plain);
  };
}

/** Replaces attributes of one type wherever they occur. */
export function replacing<V>(
  type: { is(a: PaAttribute): a is PaAttribute<V> },
  make: (v: V) => PaAttribute | undefined,
): Forge {
  return (attrs) =>
    attrs.flatMap((a) => (type.is(a) ? [make(a.value)].filter((x): x is PaAttribute => x !== undefined) : [a]));
}

export const sce = (v: pts.UntrustedComponentEvidence) => pts.SimpleComponentEvidenceAttr.make(v);
export const final = (v: pts.UntrustedEvidenceFinal) => pts.SimpleEvidenceFinalAttr.make(v);

/** The digest the "modified boot" extends into PCR 4 after the lab firmware log (an extra boot loader). */
export const EXTRA_PCR4 = createHash('sha256').update('an extra boot loader stage').digest();

/** A BIOS (or, relabelled, IMA) evidence for the extra PCR 4 event, shaped like `like`. */
export function extraEvent(like: pts.UntrustedComponentEvidence, as: 'bios' | 'ima'): PaAttribute {
  const component = { ...like.component, qualifier: as === 'bios' ? 0x21 : 0x22 };
  const uri =
    as === 'ima'
      ? { policyUri: 'sha256:/usr/lib/extra-loader', validation: pts.SCE_VALIDATION.PASSED }
      : { policyUri: undefined, validation: pts.SCE_VALIDATION.NONE };
  return sce({ ...like, ...uri, component, pcr: 4, measurement: EXTRA_PCR4, pcrChange: undefined });
}

/** The index of the last attribute matching `is`. */
export const lastIndex = (attrs: PaAttribute[], is: (a: PaAttribute) => boolean) => attrs.map(is).lastIndexOf(true);
export const insertAt = (attrs: PaAttribute[], at: number, ...add: PaAttribute[]) => [
  ...attrs.slice(0, at),
  ...add,
  ...attrs.slice(at),
];

/** The IMA evidence (and its template data) for `path`, by policy URI. */
export function imaIndexOf(attrs: PaAttribute[], path: string): number {
  return attrs.findIndex(
    (a) => isIma(a) && (a.value as pts.UntrustedComponentEvidence).policyUri?.endsWith(`:${path}`),
  );
}

/** An OS message claiming another identity, sent by the hostile agent mid-session. */
export function injectIdentity(claim: { deviceId?: string; product?: string; version?: string }): Forge {
  return (attrs, ctx) => {
    if (!isEvidence(attrs)) return attrs;
    const os: PaAttribute[] = [];
    if (claim.product) os.push(ProductInformationAttr.make({ vendor: 28978, productId: 0, name: claim.product }));
    if (claim.version) os.push(StringVersionAttr.make({ version: claim.version, build: '', config: '' }));
    if (claim.deviceId) os.push(DeviceIdAttr.make(claim.deviceId));
    ctx.inject(PA_SUBTYPE.OS, os);
    return attrs;
  };
}

/** A bare public key that is not the TPM's AK. */
export function foreignAik(): pts.Aik {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { bareKey: true, der: publicKey.export({ type: 'spki', format: 'der' }) };
}

export const flip = (b: Buffer) => {
  const c = Buffer.from(b);
  c[c.length - 1] ^= 0x01;
  return c;
};

export const garbage = (n: number) => randomBytes(n);
