import { Reader, Writer } from '../../../bytes/cursor';
import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { prefixedText, readCount } from '../ietf/text';

export interface Setting {
  name: string;
  value: string;
}

export interface Symlink {
  symlink: string;
  /** Absolute target directory, e.g. "/usr/bin" for "/bin". */
  target: string;
}

// strongSwan's ita_attr_get_settings.c, ita_attr_settings.c, ita_attr_symlinks.c: every ITA-HSR list is u32 count + entries of u16-length-prefixed strings
function readPairs(r: Reader, what: string): [string, string][] {
  const count = readCount(r, 4, 4, `${what} count`);
  const out: [string, string][] = [];
  for (let i = 0; i < count; i++) out.push([prefixedText(r, 2, what), prefixedText(r, 2, what)]);
  return out;
}

function writeStrings(w: Writer, count: number, strings: string[]): void {
  w.u32(count);
  for (const s of strings) w.lengthPrefixed(2, Buffer.from(s, 'utf8'));
}

/** ITA-HSR 3: Get Settings — u32 count + count × (u16 length + setting name). */
export const GetSettingsAttr = defineAttribute<string[]>({
  vendor: VENDOR.ITA,
  type: 3,
  name: 'Get Settings',
  decode(r) {
    const count = readCount(r, 4, 2, 'Get Settings count');
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(prefixedText(r, 2, 'Get Settings name'));
    return out;
  },
  encode: (w, v) => writeStrings(w, v.length, v),
  describe: (v) => v.map((n) => `setting '${n}' requested`),
});

/** ITA-HSR 4: Settings — u32 count + count × (u16 length + name, u16 length + value). */
export const SettingsAttr = defineAttribute<Setting[]>({
  vendor: VENDOR.ITA,
  type: 4,
  name: 'Settings',
  decode: (r) => readPairs(r, 'Settings entry').map(([name, value]) => ({ name, value })),
  encode: (w, v) =>
    writeStrings(
      w,
      v.length,
      v.flatMap((s) => [s.name, s.value]),
    ),
  describe: (v) => v.map((s) => `setting '${s.name}' is '${s.value}'`),
});

/** ITA-HSR 10: Symlinks — u32 count + count × (u16 length + symlink, u16 length + target directory). */
export const SymlinksAttr = defineAttribute<Symlink[]>({
  vendor: VENDOR.ITA,
  type: 10,
  name: 'Symlinks',
  decode: (r) => readPairs(r, 'Symlinks entry').map(([symlink, target]) => ({ symlink, target })),
  encode: (w, v) =>
    writeStrings(
      w,
      v.length,
      v.flatMap((s) => [s.symlink, s.target]),
    ),
  // strongSwan's IMV: "adding directory symlinks:" then "  /bin -> /usr/bin"
  describe: (v) => ['directory symlinks:', ...v.map((s) => `  ${s.symlink} -> ${s.target}`)],
});
