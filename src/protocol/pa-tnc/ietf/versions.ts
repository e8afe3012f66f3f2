import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { prefixedText } from './text';

export interface NumericVersion {
  major: number;
  minor: number;
  build: number;
  servicePackMajor: number;
  servicePackMinor: number;
}

// RFC 5792 4.2.3: Numeric Version — major, minor, build (u32 each), service pack major/minor (u16)
export const NumericVersionAttr = defineAttribute<NumericVersion>({
  vendor: VENDOR.IETF,
  type: 3,
  name: 'Numeric Version',
  decode: (r) => ({
    major: r.u32('Numeric Version major'),
    minor: r.u32('Numeric Version minor'),
    build: r.u32('Numeric Version build'),
    servicePackMajor: r.u16('Numeric Version service pack major'),
    servicePackMinor: r.u16('Numeric Version service pack minor'),
  }),
  encode(w, v) {
    w.u32(v.major).u32(v.minor).u32(v.build).u16(v.servicePackMajor).u16(v.servicePackMinor);
  },
  describe: (v) => [`operating system numeric version is ${v.major}.${v.minor}`],
});

export interface StringVersion {
  version: string;
  build: string;
  config: string;
}

// RFC 5792 4.2.4: String Version — three u8-length-prefixed UTF-8 strings
export const StringVersionAttr = defineAttribute<StringVersion>({
  vendor: VENDOR.IETF,
  type: 4,
  name: 'String Version',
  decode: (r) => ({
    version: prefixedText(r, 1, 'String Version product version'),
    build: prefixedText(r, 1, 'String Version internal build'),
    config: prefixedText(r, 1, 'String Version configuration version'),
  }),
  encode(w, v) {
    for (const s of [v.version, v.build, v.config]) w.lengthPrefixed(1, Buffer.from(s, 'utf8'));
  },
  describe: (v) => [
    `operating system version is '${v.version}'`,
    ...(v.build ? [`internal build '${v.build}'`] : []),
    ...(v.config ? [`configuration '${v.config}'`] : []),
  ],
});
