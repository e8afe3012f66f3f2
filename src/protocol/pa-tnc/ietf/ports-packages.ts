import { defineAttribute } from '../registry';
import { VENDOR } from '../../vendors';
import { DecodeError } from '../../../bytes/errors';
import { prefixedText, readCount } from './text';

export interface PortFilterEntry {
  blocked: boolean;
  /** IP protocol number (6 TCP, 17 UDP). */
  protocol: number;
  port: number;
}

const BLOCKED = 0x01;

// RFC 5792 4.2.6: Port Filter — repeated 4-byte entries: reserved(7 bits) B(1 bit), protocol(1), port(2)
export const PortFilterAttr = defineAttribute<PortFilterEntry[]>({
  vendor: VENDOR.IETF,
  type: 6,
  name: 'Port Filter',
  decode(r) {
    if (r.remaining % 4 !== 0)
      throw new DecodeError('invalid', 'Port Filter length', r.offset, `${r.remaining} bytes is not a multiple of 4`);
    const out: PortFilterEntry[] = [];
    while (!r.atEnd) {
      // RFC 5792 4.2.6: reserved bits are ignored on receipt
      const blocked = (r.u8('Port Filter flags') & BLOCKED) !== 0;
      out.push({ blocked, protocol: r.u8('Port Filter protocol'), port: r.u16('Port Filter port') });
    }
    return out;
  },
  encode(w, v) {
    for (const e of v)
      w.u8(e.blocked ? BLOCKED : 0)
        .u8(e.protocol)
        .u16(e.port);
  },
  describe: (v) => v.map((e) => `${protocolName(e.protocol)} port ${e.port} ${e.blocked ? 'blocked' : 'open'}`),
});

const protocolName = (p: number): string => (p === 6 ? 'tcp' : p === 17 ? 'udp' : `protocol ${p}`);

export interface InstalledPackage {
  name: string;
  version: string;
}

// RFC 5792 4.2.7: Installed Packages — reserved(2), count(2), count × (u8 name, u8 version)
export const InstalledPackagesAttr = defineAttribute<InstalledPackage[]>({
  vendor: VENDOR.IETF,
  type: 7,
  name: 'Installed Packages',
  decode(r) {
    r.skip(2, 'Installed Packages reserved');
    const count = readCount(r, 2, 2, 'Installed Packages count');
    const out: InstalledPackage[] = [];
    for (let i = 0; i < count; i++) {
      out.push({
        name: prefixedText(r, 1, 'Installed Packages package name'),
        version: prefixedText(r, 1, 'Installed Packages package version'),
      });
    }
    return out;
  },
  encode(w, v) {
    if (v.length > 0xffff) throw new RangeError(`${v.length} packages do not fit a u16 count`);
    w.u16(0).u16(v.length);
    for (const p of v)
      w.lengthPrefixed(1, Buffer.from(p.name, 'utf8')).lengthPrefixed(1, Buffer.from(p.version, 'utf8'));
  },
  describe: (v) => v.map((p) => `package '${p.name}' (${p.version})`),
});
