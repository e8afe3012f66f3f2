import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { newNativeContext, native, type NativeContext } from './addon';
import { decodeCapabilityData } from './capability';
import { ALG, CAP, DEFAULT_AK_HANDLE, EK_CERT_NV_RSA, PT } from './constants';
import { RC, TpmError, TpmUnavailableError } from './errors';
import {
  decodeDigestList,
  decodePcrSelectionList,
  encodeDigestValues,
  encodePcrSelectionList,
  type PcrSelection,
  type PcrValues,
} from './pcr';
import { decodePublic, keyId, publicKeyObject, encodePublic, type TpmPublic } from './public';
import { encodeSigScheme } from './signature';
import { akTemplate, ekTemplateRsa, type AkKind } from './templates';
import type { QuoteEvidence } from './verify';

export const DEFAULT_TCTI = 'device:/dev/tpmrm0';

export interface TpmInfo {
  family: string;
  level: number;
  /** Specification revision, e.g. "1.59". */
  revision: string;
  year: number;
  dayOfYear: number;
  /** TPM_PT_MANUFACTURER as four ASCII characters, trimmed (e.g. "IBM", "INTC"). */
  manufacturer: string;
  manufacturerId: number;
  vendor: string;
  firmwareVersion: string;
  /** Allocated PCR banks with their PCRs. */
  banks: PcrSelection[];
}

export interface QuoteRequest {
  nonce: Buffer;
  pcrs: PcrSelection[];
  akHandle?: number;
  /** Signature scheme and hash; default NULL (the AK's own scheme). */
  scheme?: { scheme: number; hash: number };
}

export interface ProvisionedAk {
  handle: number;
  ak: TpmPublic;
  akPublic: Buffer;
  ekPublic: Buffer;
  keyId: string;
}

function ascii(words: number[]): string {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
}

function checkDevice(tcti: string): void {
  const m = /^device(?::(.*))?$/.exec(tcti);
  if (!m) return;
  const path = m[1] || '/dev/tpmrm0';
  if (!existsSync(path)) {
    throw new TpmUnavailableError(
      `TPM device ${path} not found: this host has no TPM or its driver (tpm_tis/tpm_crb) is not loaded; a software TPM is reached through its TCTI, e.g. swtpm:host=127.0.0.1,port=2321`,
    );
  }
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    throw new TpmUnavailableError(
      `no permission to open ${path}: run as root or as a member of the group owning it (usually tss)`,
    );
  }
}

/** The agent's TPM 2.0 over tpm2-tss ESYS. Calls are serialized by the addon. */
export class Tpm {
  private constructor(private readonly ctx: NativeContext) {}

  /** Opens a TCTI: "device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321", "mssim:...". */
  static async open(tcti = DEFAULT_TCTI): Promise<Tpm> {
    checkDevice(tcti);
    // tpm2-tss logs failures to stderr; our TpmError carries them, so keep it quiet unless asked.
    process.env.TSS2_LOG ??= 'all+none';
    const ctx = newNativeContext();
    try {
      await native(ctx.open(tcti));
    } catch (e) {
      if (e instanceof TpmError && e.op.startsWith('Tss2_TctiLdr'))
        throw new TpmUnavailableError(
          `cannot open TPM "${tcti}": ${e.text}; is the TPM (or swtpm) there and listening?`,
        );
      throw e;
    }
    return new Tpm(ctx);
  }

  async close(): Promise<void> {
    await native(this.ctx.close());
  }

  async properties(first: number, count: number): Promise<Map<number, number>> {
    const { data } = await native(this.ctx.getCapability(CAP.TPM_PROPERTIES, first, count));
    const cap = decodeCapabilityData(data);
    return cap.capability === CAP.TPM_PROPERTIES ? cap.properties : new Map();
  }

  async banks(): Promise<PcrSelection[]> {
    const { data } = await native(this.ctx.getCapability(CAP.PCRS, 0, 1));
    const cap = decodeCapabilityData(data);
    return cap.capability === CAP.PCRS ? cap.pcrs : [];
  }

  async info(): Promise<TpmInfo> {
    const p = await this.properties(PT.FAMILY_INDICATOR, PT.FIRMWARE_VERSION_2 - PT.FAMILY_INDICATOR + 1);
    const get = (k: number) => p.get(k) ?? 0;
    const fw1 = get(PT.FIRMWARE_VERSION_1);
    const fw2 = get(PT.FIRMWARE_VERSION_2);
    const vendorWords = [];
    for (let k = PT.VENDOR_STRING_1; k <= PT.VENDOR_STRING_4; k++) vendorWords.push(get(k));
    return {
      family: ascii([get(PT.FAMILY_INDICATOR)]),
      level: get(PT.LEVEL),
      revision: (get(PT.REVISION) / 100).toFixed(2),
      year: get(PT.YEAR),
      dayOfYear: get(PT.DAY_OF_YEAR),
      manufacturer: ascii([get(PT.MANUFACTURER)]),
      manufacturerId: get(PT.MANUFACTURER),
      vendor: ascii(vendorWords),
      firmwareVersion: [fw1 >>> 16, fw1 & 0xffff, fw2 >>> 16, fw2 & 0xffff].join('.'),
      banks: await this.banks(),
    };
  }

  /** Reads PCRs of one bank (TPM2_PCR_Read returns at most 8 per call, so this loops). */
  async pcrRead(bank: number, indices: number[]): Promise<Map<number, Buffer>> {
    const out = new Map<number, Buffer>();
    let left = [...new Set(indices)].sort((a, b) => a - b);
    while (left.length > 0) {
      const r = await native(this.ctx.pcrRead(encodePcrSelectionList([{ hash: bank, pcrs: left }])));
      const got = decodePcrSelectionList(r.selection).flatMap((s) => s.pcrs);
      const values = decodeDigestList(r.values);
      if (got.length === 0 || got.length !== values.length)
        throw new TpmError(RC.HANDLE, 'TPM2_PCR_Read', `bank ${bank} has none of PCRs ${left.join(',')}`);
      got.forEach((p, i) => out.set(p, values[i]));
      left = left.filter((p) => !out.has(p));
    }
    return out;
  }

  /** Reads every PCR of a selection, as the verifier's expected values for a quote of it. */
  async pcrValues(selection: PcrSelection[]): Promise<PcrValues> {
    const out: PcrValues = new Map();
    for (const s of selection) out.set(s.hash, await this.pcrRead(s.hash, s.pcrs));
    return out;
  }

  async quote(req: QuoteRequest): Promise<QuoteEvidence> {
    const scheme = req.scheme ?? { scheme: ALG.NULL, hash: 0 };
    const handle = req.akHandle ?? DEFAULT_AK_HANDLE;
    return native(
      this.ctx.quote(handle, req.nonce, encodePcrSelectionList(req.pcrs), encodeSigScheme(scheme.scheme, scheme.hash)),
    );
  }

  async readPublic(handle: number): Promise<{ raw: Buffer; public: TpmPublic; name: Buffer }> {
    const r = await native(this.ctx.readPublic(handle));
    return { raw: r.public, public: decodePublic(r.public), name: r.name };
  }

  /**
   * Creates the default RSA EK, an AK under it, and persists the AK at `handle`. With
   * `replace`, an object already at `handle` is evicted first; otherwise that is an error.
   */
  async provisionAk(opts: { handle?: number; kind?: AkKind; replace?: boolean } = {}): Promise<ProvisionedAk> {
    const handle = opts.handle ?? DEFAULT_AK_HANDLE;
    if (opts.replace && (await this.exists(handle))) await native(this.ctx.evictPersistent(handle));
    const r = await native(
      this.ctx.provisionAk(encodePublic(ekTemplateRsa()), encodePublic(akTemplate(opts.kind ?? 'rsa')), handle),
    );
    const ak = decodePublic(r.ak);
    return { handle, ak, akPublic: r.ak, ekPublic: r.ek, keyId: keyId(publicKeyObject(ak)) };
  }

  async exists(handle: number): Promise<boolean> {
    try {
      await native(this.ctx.readPublic(handle));
      return true;
    } catch (e) {
      if (e instanceof TpmError && e.code === RC.HANDLE) return false;
      throw e;
    }
  }

  /** The RSA EK certificate (DER) from NV 0x01c00002, or null when the TPM has none. */
  async ekCertificate(index = EK_CERT_NV_RSA): Promise<Buffer | null> {
    try {
      return (await native(this.ctx.nvRead(index))).data;
    } catch (e) {
      if (e instanceof TpmError && e.code === RC.HANDLE) return null;
      throw e;
    }
  }

  async getRandom(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let have = 0; have < n;) {
      const { bytes } = await native(this.ctx.getRandom(Math.min(32, n - have)));
      if (bytes.length === 0) throw new TpmError(0, 'TPM2_GetRandom', 'the TPM returned no random bytes');
      parts.push(bytes);
      have += bytes.length;
    }
    return Buffer.concat(parts).subarray(0, n);
  }

  /** Lab and tests only: extends one PCR in one or more banks. */
  async pcrExtend(index: number, digests: { hash: number; digest: Buffer }[]): Promise<void> {
    await native(this.ctx.pcrExtend(index, encodeDigestValues(digests)));
  }

  /** Lab and tests only: TPM2_Startup(CLEAR), or STATE with `state`. */
  async startup(state = false): Promise<void> {
    await native(this.ctx.startup(state ? 1 : 0));
  }
}
