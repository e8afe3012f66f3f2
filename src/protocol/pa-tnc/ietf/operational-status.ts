import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';
import { enumValue, utf8Text } from './text';

// RFC 5792 4.2.5: status and result codes
export const OPERATIONAL_STATUS = ['unknown', 'not installed', 'installed', 'operational'] as const;
export const OPERATIONAL_RESULT = ['unknown', 'successful', 'errored', 'unsuccessful'] as const;
export type OperationalStatusName = (typeof OPERATIONAL_STATUS)[number];
export type OperationalResultName = (typeof OPERATIONAL_RESULT)[number];

export interface OperationalStatus {
  status: OperationalStatusName;
  result: OperationalResultName;
  /** RFC 3339 UTC time of last use, e.g. "2022-05-31T08:26:24Z" ("0000-00-00T00:00:00Z" = unknown). */
  lastUse: string;
}

const TIME_LEN = 20;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// RFC 5792 4.2.5: status(1) result(1) reserved(2) last use(20, RFC 3339 "YYYY-MM-DDTHH:MM:SSZ")
export const OperationalStatusAttr = defineAttribute<OperationalStatus>({
  vendor: VENDOR.IETF,
  type: 5,
  name: 'Operational Status',
  decode(r) {
    let at = r.offset;
    const status = enumValue(OPERATIONAL_STATUS, r.u8('Operational Status status'), 'Operational Status status', at);
    at = r.offset;
    const result = enumValue(OPERATIONAL_RESULT, r.u8('Operational Status result'), 'Operational Status result', at);
    r.skip(2, 'Operational Status reserved');
    at = r.offset;
    const lastUse = utf8Text(r.bytes(TIME_LEN, 'Operational Status last use'), 'Operational Status last use', at);
    if (!TIME_RE.test(lastUse))
      throw new DecodeError('invalid', 'Operational Status last use', at, 'not an RFC 3339 UTC time');
    return { status, result, lastUse };
  },
  encode(w, v) {
    if (!TIME_RE.test(v.lastUse)) throw new RangeError(`last use '${v.lastUse}' is not YYYY-MM-DDTHH:MM:SSZ`);
    w.u8(OPERATIONAL_STATUS.indexOf(v.status)).u8(OPERATIONAL_RESULT.indexOf(v.result)).u16(0).utf8(v.lastUse);
  },
  describe: (v) => [`operational status: ${v.status}, result: ${v.result}`, `last boot: ${lastUseText(v.lastUse)}`],
});

/** strongSwan's wording of a time: "May 31 08:26:24 UTC 2022". */
function lastUseText(t: string): string {
  const month = MONTHS[Number(t.slice(5, 7)) - 1];
  if (!month) return 'unknown';
  return `${month} ${t.slice(8, 10)} ${t.slice(11, 19)} UTC ${t.slice(0, 4)}`;
}
