import { DecodeError } from '../../bytes/errors';
import { VENDOR } from '../vendors';
import { PA_ATTR_HEADER_LEN, PA_MSG_HEADER_LEN, PA_TNC_VERSION, UnsupportedAttributeError } from './message';
import { PaAttribute } from './registry';
import { ErroredMessage, IETF_ERROR, PaTncError, PaTncErrorAttr } from './ietf/pa-tnc-error';

/**
 * Answers hostile input with the protocol's own error: the PA-TNC Error attribute (RFC 5792
 * 4.2.8) for a DecodeError thrown while decoding `message`. `base` is the absolute offset
 * the decoder was given for the message start (error offsets are relative to the message).
 * Returns undefined when the fault lies inside a PA-TNC Error attribute: RFC 5792 4.2.8 says
 * an error about an error is never sent.
 */
export function answerDecodeError(err: DecodeError, message: Buffer, base = 0): PaAttribute<PaTncError> | undefined {
  const offset = err.offset - base;
  if (insidePaTncError(message, offset)) return undefined;
  return paTncErrorFor(err, erroredMessageOf(message), base);
}

/** The 8-byte header copy RFC 5792 4.2.8 wants (zero-filled if the message is shorter). */
export function erroredMessageOf(message: Buffer): ErroredMessage {
  const h = Buffer.alloc(PA_MSG_HEADER_LEN);
  message.copy(h, 0, 0, PA_MSG_HEADER_LEN);
  return { kind: 'message', version: h[0], reserved: h.readUIntBE(1, 3), messageId: h.readUInt32BE(4) };
}

/** The error for `err` about `about` (a header copy, or a segmented attribute's base message ID). */
export function paTncErrorFor(err: DecodeError, about: ErroredMessage, base = 0): PaAttribute<PaTncError> {
  if (err instanceof UnsupportedAttributeError) {
    const { flags, vendor, type } = err.attribute;
    return ietfError(IETF_ERROR.ATTRIBUTE_TYPE_NOT_SUPPORTED, {
      kind: 'attribute-type-not-supported',
      message: about,
      attribute: { flags, vendor, type },
    });
  }
  if (err.kind === 'version') {
    // RFC 5792 4.2.8: we support exactly version 1
    return ietfError(IETF_ERROR.VERSION_NOT_SUPPORTED, {
      kind: 'version-not-supported',
      message: about,
      maxVersion: PA_TNC_VERSION,
      minVersion: PA_TNC_VERSION,
    });
  }
  return ietfError(IETF_ERROR.INVALID_PARAMETER, {
    kind: 'invalid-parameter',
    message: about,
    offset: Math.max(0, err.offset - base),
  });
}

/** RFC 8412 5.16: SWIMA Error (4), Subscription Denied (5) or Subscription ID Reuse (8). */
export function swimaError(code: 4 | 5 | 8, requestId: number, description: string): PaAttribute<PaTncError> {
  return ietfError(code, { kind: 'swima', requestId, description });
}

/** A TCG PTS error (PTS 4.2 error codes) with its information bytes. */
export function ptsError(code: number, info: Buffer = Buffer.alloc(0)): PaAttribute<PaTncError> {
  return PaTncErrorAttr.make({ vendor: VENDOR.TCG, code, info: { kind: 'raw', info } });
}

function ietfError(code: number, info: PaTncError['info']): PaAttribute<PaTncError> {
  return PaTncErrorAttr.make({ vendor: VENDOR.IETF, code, info });
}

/** Walks the attribute headers (bounds-checked, no decoding) to see whether `offset` falls in a PA-TNC Error. */
function insidePaTncError(message: Buffer, offset: number): boolean {
  let at = PA_MSG_HEADER_LEN;
  while (at + PA_ATTR_HEADER_LEN <= message.length && at <= offset) {
    const length = message.readUInt32BE(at + 8);
    if (length < PA_ATTR_HEADER_LEN) return false;
    if (offset < at + length) {
      return (
        message.readUIntBE(at + 1, 3) === PaTncErrorAttr.spec.vendor &&
        message.readUInt32BE(at + 4) === PaTncErrorAttr.spec.type
      );
    }
    at += length;
  }
  return false;
}
