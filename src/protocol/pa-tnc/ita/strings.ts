import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { restText } from '../ietf/text';

// ITA-HSR attributes whose whole value is one string (strongSwan's src/libimcv/ita/ita_attr_*.c).
const stringAttribute = (type: number, name: string, line: (v: string) => string) =>
  defineAttribute<string>({
    vendor: VENDOR.ITA,
    type,
    name,
    decode: (r) => restText(r, `ITA-HSR ${name}`),
    encode: (w, v) => void w.utf8(v),
    describe: (v) => [line(v)],
  });

/** ITA-HSR 1: Command — an ASCII command string. */
export const CommandAttr = stringAttribute(1, 'Command', (v) => `command '${v}'`);
/** ITA-HSR 8: Device ID — strongSwan sends the hex SHA-1 keyid of the AK (or machine-id). */
export const DeviceIdAttr = stringAttribute(8, 'Device ID', (v) => `device ID is ${v}`);
/** ITA-HSR 9: Get Symlinks — the directory to scan (strongSwan's IMV sends "/"). */
export const GetSymlinksAttr = stringAttribute(9, 'Get Symlinks', (v) => `get symlinks in '${v}'`);
