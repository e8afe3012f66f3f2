import { createHash } from 'node:crypto';
import {
  decodeImaFields,
  escapeText,
  imaTemplateHashInput,
  IMA_NAME_PADDED,
  templateFields,
  type ImaTemplate,
} from '../../measurements/ima';
import { isDecodeError } from '../../bytes/errors';
import { PCR_TRANSFORM, type HashAlgInfo } from '../../protocol/pa-tnc/tcg/pts';
import type { ImaTemplateData } from '../../protocol/pa-tnc/tnc-agent';

/** A file name and digest proven to be what was extended: their template data hashes to the measurement. */
export interface BoundImaClaim {
  readonly template: ImaTemplate;
  /** Kernel hash name of the file digest (`sha1` for the legacy `ima` template). */
  readonly algorithm: string;
  readonly path: string;
  readonly digest: Buffer;
  /** The sig field (ima-sig and field lists with sig): the file's security.ima, empty when unsigned. */
  readonly signature?: Buffer;
}

/** The bytes the kernel hashes for a template hash (Linux ima_calc_field_array_hash). */
function hashInput(template: string, data: Buffer): Buffer {
  if (template !== 'ima') return data;
  const scratch = Buffer.alloc(20 + IMA_NAME_PADDED);
  return scratch.subarray(0, imaTemplateHashInput(data, 0, data.length, scratch));
}

/**
 * The template hash in the quoted bank: the bank's hash, or with PCR transform "hash shorter"
 * (kernels that extend other banks with the SHA-1 template hash) a SHA-1 zero-padded to the bank size
 * (TCG PTS 3.15.1 PCR transform).
 */
export function bankTemplateHash(bank: HashAlgInfo, transform: number, input: Buffer): Buffer {
  if (transform !== PCR_TRANSFORM.SHORT) return createHash(bank.node).update(input).digest();
  const out = Buffer.alloc(bank.size);
  createHash('sha1').update(input).digest().copy(out);
  return out;
}

/**
 * Binds an IMA measurement to its template data: the data must hash to exactly the value that was
 * extended, and then its fields (not the collector's policy URI) say which file and digest were
 * measured. Returns the reason when the data does not bind.
 */
export function bindTemplateData(
  t: ImaTemplateData,
  measurement: Buffer,
  bank: HashAlgInfo,
  transform: number,
): BoundImaClaim | string {
  // any built-in template or ima_template_fmt field list: all but `ima` hash their data as listed
  if (!templateFields(t.template)) return `IMA template '${escapeText(t.template)}' is not supported`;
  const template: ImaTemplate = t.template;
  if (!bankTemplateHash(bank, transform, hashInput(template, t.data)).equals(measurement)) {
    return 'IMA template data does not hash to the extended measurement';
  }
  try {
    const f = decodeImaFields({
      offset: 0,
      pcr: 10,
      templateHash: Buffer.alloc(0),
      template,
      templateData: t.data,
      dataOffset: 0,
    });
    return {
      template,
      algorithm: f.fileDigest.algorithm,
      path: f.path,
      digest: f.fileDigest.digest,
      ...(f.signature ? { signature: f.signature } : {}),
    };
  } catch (e) {
    if (!isDecodeError(e)) throw e;
    return `IMA template data is malformed: ${e.message}`;
  }
}
