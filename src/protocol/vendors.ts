/** SMI Private Enterprise Numbers used as vendor IDs across PT-TLS, PB-TNC and PA-TNC. */
export const VENDOR = {
  IETF: 0x000000,
  TCG: 0x005597,
  ITA: 0x00902a, // ITA-HSR (strongSwan's namespace)
  PWG: 0x002b4c,
  // RFC 5612: the SMI PEN reserved for documentation, so no registered vendor's attributes collide
  // with ours; used only for skippable attributes until tnc-agent has a PEN of its own
  TNC_AGENT: 32473,
} as const;

const vendorNames = new Map<number, string>([
  [VENDOR.IETF, 'IETF'],
  [VENDOR.TCG, 'TCG'],
  [VENDOR.ITA, 'ITA-HSR'],
  [VENDOR.PWG, 'PWG'],
  [VENDOR.TNC_AGENT, 'tnc-agent'],
]);

export function vendorName(vendor: number): string {
  return vendorNames.get(vendor) ?? `vendor-${hex24(vendor)}`;
}

export const hex24 = (v: number): string => '0x' + v.toString(16).padStart(6, '0');
export const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/** strongSwan's way of printing a (vendor, type) pair: `'IETF/Product Information' 0x000000/0x00000002`. */
export function typeLabel(name: string, vendor: number, type: number): string {
  return `'${name}' ${hex24(vendor)}/${hex32(type)}`;
}

/** RFC 5792 3.5 / TCG and ITA-HSR registries: PA message subtypes (the PB-PA vendor/subtype pair). */
const paSubtypeNames = new Map<string, string>([
  [key(VENDOR.IETF, 0), 'Testing'],
  [key(VENDOR.IETF, 1), 'Operating System'],
  [key(VENDOR.IETF, 2), 'Anti-Virus'],
  [key(VENDOR.IETF, 3), 'Anti-Spyware'],
  [key(VENDOR.IETF, 4), 'Anti-Malware'],
  [key(VENDOR.IETF, 5), 'Firewall'],
  [key(VENDOR.IETF, 6), 'IDPS'],
  [key(VENDOR.IETF, 7), 'VPN'],
  [key(VENDOR.IETF, 8), 'NEA Client'],
  [key(VENDOR.IETF, 9), 'SWIMA'],
  [key(VENDOR.TCG, 1), 'PTS'],
  [key(VENDOR.TCG, 2), 'SCAP'],
  [key(VENDOR.TCG, 3), 'SWID'],
  [key(VENDOR.ITA, 1), 'Test'],
  [key(VENDOR.ITA, 2), 'Echo'],
]);

export const PA_SUBTYPE = {
  OS: { vendor: VENDOR.IETF, subtype: 1 },
  SWIMA: { vendor: VENDOR.IETF, subtype: 9 },
  PTS: { vendor: VENDOR.TCG, subtype: 1 },
} as const;

export interface PaMessageType {
  vendor: number;
  subtype: number;
}

export function paSubtypeName(vendor: number, subtype: number): string {
  return `${vendorName(vendor)}/${paSubtypeNames.get(key(vendor, subtype)) ?? `subtype-${subtype}`}`;
}

export function paSubtypeLabel(t: PaMessageType): string {
  return typeLabel(paSubtypeName(t.vendor, t.subtype), t.vendor, t.subtype);
}

function key(vendor: number, type: number): string {
  return `${vendor}/${type}`;
}

/** Product vendors (SMI PENs) that OS IMCs report in Product Information, by name as strongSwan logs them. */
const productVendors = new Map<number, string>([
  [9586, 'Debian Project'],
  [28978, 'Canonical'],
  [30401, 'Fedora Project'],
  [2312, 'Red Hat'],
  [11129, 'Google'],
]);

export function productVendorName(pen: number): string {
  return productVendors.get(pen) ?? `PEN ${pen}`;
}
