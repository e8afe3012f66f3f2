import { Reader, Writer } from '../../../bytes/cursor';

// RFC 8412, PA-TNC error codes 4-8: SWIMA error codes (IETF PA-TNC Error, vendor 0)
export const SWIMA_ERROR = {
  SWIMA_ERROR: 4,
  SUBSCRIPTION_DENIED: 5,
  RESPONSE_TOO_LARGE: 6,
  SUBSCRIPTION_FULFILLMENT: 7,
  SUBSCRIPTION_ID_REUSE: 8,
} as const;

/**
 * Error information of codes 4, 5, 6 and 8: the Request (or Subscription) ID copy, for 6 the
 * maximum allowed size, then a UTF-8 description. Code 7 embeds another error: kept raw.
 */
export type SwimaErrorInfo = { requestId: number; maxAllowedSize?: number; description: string } | { raw: Buffer };

export function decodeSwimaErrorInfo(code: number, r: Reader): SwimaErrorInfo {
  if (
    code === SWIMA_ERROR.SUBSCRIPTION_FULFILLMENT ||
    code < SWIMA_ERROR.SWIMA_ERROR ||
    code > SWIMA_ERROR.SUBSCRIPTION_ID_REUSE
  )
    return { raw: r.rest() };
  const requestId = r.u32('SWIMA error request ID');
  if (code !== SWIMA_ERROR.RESPONSE_TOO_LARGE) return { requestId, description: r.rest().toString('utf8') };
  const maxAllowedSize = r.u32('SWIMA maximum allowed size');
  return { requestId, maxAllowedSize, description: r.rest().toString('utf8') };
}

export function encodeSwimaErrorInfo(w: Writer, info: SwimaErrorInfo): void {
  if ('raw' in info) {
    w.bytes(info.raw);
    return;
  }
  w.u32(info.requestId);
  if (info.maxAllowedSize !== undefined) w.u32(info.maxAllowedSize);
  w.utf8(info.description);
}
