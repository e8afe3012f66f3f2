import type { PaAttribute } from '../../../src/protocol/pa-tnc/registry';
import * as pts from '../../../src/protocol/pa-tnc/tcg/pts';
import { ImaTemplateDataAttr } from '../../../src/protocol/pa-tnc/tnc-agent';
import { DhKeyPair } from '../../../src/imcv/pts/dh';
import { decodePcrSelectionList, encodePcrSelectionList } from '../../../src/tpm/pcr';
import {
  extraEvent,
  final,
  flip,
  foreignAik,
  garbage,
  imaIndexOf,
  injectIdentity,
  insertAt,
  isBios,
  isFinal,
  isIma,
  isTemplate,
  lastIndex,
  onEvidence,
  replacing,
  sce,
  type Forge,
} from './forge';

/** One hostile endpoint: what it rewrites, on which boot, and the check that must catch it. */
export interface ForgedCase {
  readonly name: string;
  /** 'clean': the TPM holds the lab boot; 'modified': one extra firmware event in PCR 4 (registered boot differs). */
  readonly boot: 'clean' | 'modified';
  /** OS version the endpoint reports: '22.10' is the product whose reference for the victim file differs (a trojan). */
  readonly version?: string;
  readonly forge?: Forge;
  /** A forgery that needs something from the run. */
  readonly forgeWith?: (inputs: CaseInputs) => Forge;
  /** Must match one of the reasons the endpoint is told. */
  readonly reason: RegExp;
}

/** What some forgeries need from the run: a Final recorded in an earlier session, the victim file. */
export interface CaseInputs {
  readonly recordedFinal: () => pts.UntrustedEvidenceFinal;
  readonly victim: string;
  readonly otherDeviceId: string;
}

const sceOf = (a: PaAttribute) => a.value as pts.UntrustedComponentEvidence;
const firstBios = (attrs: PaAttribute[]) => sceOf(attrs.find(isBios)!);

/** Inserts the extra PCR 4 event as honest BIOS evidence: where the firmware put it, after the lab's BIOS entries. */
const withExtraBios = (attrs: PaAttribute[]) =>
  insertAt(attrs, lastIndex(attrs, isBios) + 1, extraEvent(sceOf(attrs[lastIndex(attrs, isBios)]), 'bios'));

/** The victim's IMA evidence, changed by `f`; its template data dropped when `dropTemplate`. */
function victimEvidence(
  victim: string,
  f: (v: pts.UntrustedComponentEvidence) => pts.UntrustedComponentEvidence,
  dropTemplate = false,
): Forge {
  return onEvidence((attrs) => {
    const at = imaIndexOf(attrs, victim);
    const out = attrs.map((a, i) => (i === at ? sce(f(sceOf(a))) : a));
    return dropTemplate ? out.filter((_, i) => i !== at + 1) : out;
  });
}

const withPcrs = (selection: Buffer, keep: (pcr: number) => boolean) =>
  encodePcrSelectionList(decodePcrSelectionList(selection).map((s) => ({ hash: s.hash, pcrs: s.pcrs.filter(keep) })));
const onFinal = (f: (v: pts.UntrustedEvidenceFinal) => pts.UntrustedEvidenceFinal): Forge =>
  replacing(pts.SimpleEvidenceFinalAttr, (v) => final(f(v)));

export const FORGED_CASES: readonly ForgedCase[] = [
  // 1. firmware-log bypasses (modified boot: the honest log has one more PCR 4 event than the registered one)
  {
    name: 'the modified boot sent honestly',
    boot: 'modified',
    forge: onEvidence(withExtraBios),
    reason: /1 of 14 BIOS evidence measurements differ from the registered ones/,
  },
  {
    name: 'the extra firmware event labelled as an IMA entry on PCR 4',
    boot: 'modified',
    // after the boot aggregate, where it is just another file measurement (a root attacker extends PCR 4 after boot)
    forge: onEvidence((a) => insertAt(a, a.findIndex(isIma) + 2, extraEvent(firstBios(a), 'ima'))),
    reason: /IMA evidence extends PCR 4, not the IMA PCR 10/,
  },
  {
    name: 'the extra firmware event sent after the first IMA entry',
    boot: 'modified',
    forge: onEvidence((a) => insertAt(a, a.findIndex(isIma) + 2, extraEvent(firstBios(a), 'bios'))),
    reason: /BIOS evidence after the first IMA evidence measurement/,
  },
  {
    name: 'the whole IMA list before any BIOS evidence',
    boot: 'modified',
    forge: onEvidence((a) => {
      const all = withExtraBios(a);
      const ima = all.filter((x) => isIma(x) || isTemplate(x));
      const bios = all.filter(isBios);
      return [
        ...all.filter((x) => !isIma(x) && !isTemplate(x) && !isBios(x) && !isFinal(x)),
        ...ima,
        ...bios,
        ...all.filter(isFinal),
      ];
    }),
    reason: /IMA evidence before any BIOS evidence: the boot aggregate cannot be checked/,
  },
  // 2, 3. identity switched after the policy session started
  {
    name: "another device's ID sent with the evidence",
    boot: 'clean',
    forgeWith: (i) => injectIdentity({ deviceId: i.otherDeviceId }),
    reason: /changed its Device ID from '[0-9a-f]+' to '[0-9a-f]+' after the policy session started/,
  },
  {
    name: 'a Device ID that has no record sent with the evidence',
    boot: 'clean',
    forge: injectIdentity({ deviceId: 'ffff000000000000000000000000000000000000' }),
    reason: /changed its Device ID/,
  },
  {
    name: 'a product without reference hashes claimed with the trojaned evidence',
    boot: 'clean',
    version: '22.10',
    forge: injectIdentity({ product: 'Ubuntu', version: '99.04' }),
    reason: /changed its product from 'Ubuntu 22.10 x86_64' to 'Ubuntu 99.04/,
  },
  // 4. the trojaned file's measurement claimed under another name or algorithm
  {
    name: 'the trojan honestly named (baseline)',
    boot: 'clean',
    version: '22.10',
    forge: onEvidence((a) => a),
    reason: /differ from the reference hashes/,
  },
  {
    name: 'the trojan claimed under an unknown path',
    boot: 'clean',
    version: '22.10',
    forgeWith: (i) => victimEvidence(i.victim, (v) => ({ ...v, policyUri: 'sha256:/opt/unknown/bin' })),
    reason: /policy URI names '\/opt\/unknown\/bin', but the measured file is/,
  },
  {
    name: 'the trojan under an unknown path, its template data withheld',
    boot: 'clean',
    version: '22.10',
    forgeWith: (i) => victimEvidence(i.victim, (v) => ({ ...v, policyUri: 'sha256:/opt/unknown/bin' }), true),
    reason: /not bound to their names/,
  },
  {
    name: 'the trojan under an md5 prefix',
    boot: 'clean',
    version: '22.10',
    forgeWith: (i) => victimEvidence(i.victim, (v) => ({ ...v, policyUri: v.policyUri!.replace(/^sha256:/, 'md5:') })),
    reason: /differ from the reference hashes/,
  },
  {
    name: 'the trojan under an md5 prefix, its template data withheld',
    boot: 'clean',
    version: '22.10',
    forgeWith: (i) =>
      victimEvidence(i.victim, (v) => ({ ...v, policyUri: v.policyUri!.replace(/^sha256:/, 'md5:') }), true),
    reason: /is measured with md5, not the negotiated sha256/,
  },
  {
    name: "the trojan with another entry's template data",
    boot: 'clean',
    version: '22.10',
    forgeWith: (i) =>
      onEvidence((a) => {
        const at = imaIndexOf(a, i.victim);
        return a.map((x, k) => (k === at + 1 ? a[at + 3] : x));
      }),
    reason: /IMA template data does not hash to the extended measurement/,
  },
  // 5, 6. the algorithm step skipped, no TPM, no Final
  {
    name: 'an algorithm that was not offered',
    boot: 'clean',
    forge: replacing(pts.MeasAlgoSelectionAttr, () =>
      pts.MeasAlgoSelectionAttr.make({ algorithm: pts.HASH_ALG.SHA512 }),
    ),
    reason: /selected no offered measurement algorithm/,
  },
  {
    name: 'no answer to the Measurement Algorithm Request',
    boot: 'clean',
    forge: replacing(pts.MeasAlgoSelectionAttr, () => undefined),
    reason: /selected no offered measurement algorithm/,
  },
  {
    name: 'no TPM capability claimed',
    boot: 'clean',
    forge: replacing(pts.ProtoCapsAttr, (v) => pts.ProtoCapsAttr.make({ flags: v.flags & ~pts.PTS_CAP.T })),
    reason: /no TPM available/,
  },
  {
    name: 'evidence without a Simple Evidence Final',
    boot: 'clean',
    forge: onEvidence((a) => a.filter((x) => !isFinal(x))),
    reason: /attestation incomplete: the client stopped before the evidence step ended/,
  },
  // 7. attributes outside their step
  {
    name: 'a Measurement Algorithm Selection inside the evidence',
    boot: 'clean',
    forge: onEvidence((a) => insertAt(a, 3, pts.MeasAlgoSelectionAttr.make({ algorithm: pts.HASH_ALG.SHA1 }))),
    reason: /unexpected 'TCG\/PTS Measurement Algorithm' attribute in the evidence step/,
  },
  {
    name: 'two Simple Evidence Finals',
    boot: 'clean',
    forge: onEvidence((a) => [...a, a[a.length - 1]]),
    reason: /unexpected 'TCG\/Simple Evidence Final' attribute in the final step/,
  },
  // the quote
  {
    name: 'a quote replayed from an earlier session',
    boot: 'clean',
    forgeWith: (i) => onFinal(() => i.recordedFinal()),
    reason: /TPM quote signature verification failed/,
  },
  {
    name: 'a responder nonce changed after the TPM quoted',
    boot: 'clean',
    forge: replacing(pts.DhNonceParamsResponseAttr, (v) =>
      pts.DhNonceParamsResponseAttr.make({ ...v, responderNonce: flip(v.responderNonce) }),
    ),
    reason: /TPM quote signature verification failed/,
  },
  {
    name: 'the DH public value of another key',
    boot: 'clean',
    forge: replacing(pts.DhNonceParamsResponseAttr, (v) =>
      pts.DhNonceParamsResponseAttr.make({ ...v, responderPublicValue: foreignPublic(v.responderPublicValue) }),
    ),
    reason: /TPM quote signature verification failed/,
  },
  {
    name: 'a PCR selection that omits PCR 10',
    boot: 'clean',
    forge: onFinal((v) => ({
      ...v,
      tpm2: { ...v.tpm2!, pcrSelection: withPcrs(v.tpm2!.pcrSelection, (p) => p !== 10) },
    })),
    reason: /TPM quote signature verification failed|do(es)? not cover/,
  },
  {
    name: 'a PCR composite digest changed',
    boot: 'clean',
    forge: onFinal((v) => ({ ...v, pcrCompositeDigest: flip(v.pcrCompositeDigest!) })),
    reason: /TPM quote signature verification failed/,
  },
  {
    name: 'a composite hash downgraded to SHA-1',
    boot: 'clean',
    forge: onFinal((v) => ({ ...v, compositeHashAlgorithm: pts.HASH_ALG.SHA1 })),
    reason: /TPM quote|composite/,
  },
  {
    name: 'a garbage quote signature',
    boot: 'clean',
    forge: onFinal((v) => ({ ...v, quoteSignature: garbage(v.quoteSignature!.length) })),
    reason: /TPM quote signature verification failed/,
  },
  {
    name: "an AIK that is not the TPM's",
    boot: 'clean',
    forge: replacing(pts.AikAttr, () => pts.AikAttr.make(foreignAik())),
    reason: /AIK public key is not trusted: AIK keyid [0-9a-f]+ is not the Device ID/,
  },
  {
    name: 'evidence split across sessions: a Final alone',
    boot: 'clean',
    forge: onEvidence((a) => a.filter(isFinal)),
    reason: /no BIOS evidence measurements received/,
  },
  {
    name: 'evidence for PCR 99',
    boot: 'clean',
    forge: onEvidence((a) => insertAt(a, 1, sce({ ...firstBios(a), pcr: 99 }))),
    reason: /evidence extends PCR 99, which does not exist/,
  },
  {
    name: 'the boot aggregate left out',
    boot: 'clean',
    forge: onEvidence((a) => a.filter((_, k) => k !== a.findIndex(isIma) && k !== a.findIndex(isIma) + 1)),
    reason: /the first IMA evidence measurement is '[^']*', not a boot_aggregate/,
  },
  {
    name: 'a boot aggregate with template data that does not hash to it',
    boot: 'clean',
    forge: onEvidence((a) =>
      a.map((x, k) =>
        k === a.findIndex(isIma) + 1 ? ImaTemplateDataAttr.make({ template: 'ima-ng', data: garbage(40) }) : x,
      ),
    ),
    reason: /the first IMA evidence measurement is not a usable boot_aggregate: IMA template data does not hash/,
  },
];

/** A valid public value of the same group from another key pair (an ECP point or a MODP value). */
function foreignPublic(ours: Buffer): Buffer {
  const groups = [pts.DH_GROUP.ECP_256, pts.DH_GROUP.ECP_384, pts.DH_GROUP.MODP_2048];
  for (const g of groups) {
    const other = new DhKeyPair(g).publicValue();
    if (other.length === ours.length) return other;
  }
  throw new Error(`no DH group with ${ours.length}-byte public values`);
}
