import { attributeSize, decodePaMessage } from './pa-tnc/message';
import type { PaCodecs } from './pa-tnc/registry';
import { batchTypeName, decodeBatch, PbCodecs, PbPaMsg, pbMessageSize, PbMessage } from './pb-tnc';
import { decodePtTlsMessage, messageVendorType, ptTlsTypeName } from './pt-tls';
import { hex32 } from './vendors';

/**
 * A decoded structure for people: a strongSwan-style title, the decoded fields, the codec's
 * describe() lines and the nested layers (PT-TLS → PB-TNC → PA-TNC). Offsets in the errors the
 * decoders throw are absolute in the buffer first handed in.
 */
export interface Described {
  title: string;
  fields: Record<string, unknown>;
  details: string[];
  children: Described[];
}

export type Layer = 'pt-tls' | 'pb-tnc' | 'pa-tnc';

/** What the layers are decoded with (src/protocol/codecs.ts ALL_CODECS: everything this build reads). */
export interface Codecs {
  readonly pa: PaCodecs;
  readonly pb: PbCodecs;
}

export function describePaMessage(data: Buffer, codecs: Codecs, base = 0): Described {
  const m = decodePaMessage(data, codecs.pa, { base });
  const children = m.attributes.map((a): Described => {
    const length = attributeSize(a);
    return {
      title: `PA-TNC attribute type ${codecs.pa.label(a.vendor, a.type)} (${length} bytes)${a.noskip ? ' NOSKIP' : ''}`,
      fields: { vendor: a.vendor, type: a.type, noskip: a.noskip, length, value: a.value },
      details: a.spec?.describe?.(a.value, codecs.pa) ?? (a.spec ? [] : ['no codec: value kept raw']),
      children: [],
    };
  });
  return {
    title: `PA-TNC message with ID ${hex32(m.messageId)} (${data.length} bytes)`,
    fields: { version: data[0], messageId: m.messageId },
    details: [],
    children,
  };
}

export function describeBatch(data: Buffer, codecs: Codecs, base = 0): Described {
  const b = decodeBatch(data, codecs.pb, { base });
  const children = b.messages.map((m) => describePbMessage(m, data, codecs, base));
  const fields = { version: data[0], type: batchTypeName(b.type), fromServer: b.fromServer };
  return { title: `PB-TNC ${batchTypeName(b.type)} batch (${data.length} bytes)`, fields, details: [], children };
}

function describePbMessage(m: PbMessage, batch: Buffer, codecs: Codecs, base: number): Described {
  const length = pbMessageSize(m);
  const d: Described = {
    title: `PB-TNC message ${codecs.pb.label(m.vendor, m.type)} (${length} bytes)${m.noskip ? ' NOSKIP' : ''}`,
    fields: { vendor: m.vendor, type: m.type, noskip: m.noskip, length, value: m.value },
    details: m.spec?.describe?.(m.value) ?? (m.spec ? [] : ['no codec: value kept raw']),
    children: [],
  };
  if (PbPaMsg.is(m)) {
    const { body, ...rest } = m.value;
    d.fields.value = rest;
    d.children.push(describePaMessage(body, codecs, base + body.byteOffset - batch.byteOffset));
  }
  return d;
}

export function describePtTls(data: Buffer, codecs: Codecs, base = 0): Described {
  const m = decodePtTlsMessage(data, { base });
  const { vendor, type } = messageVendorType(m.value);
  const d: Described = {
    title: `PT-TLS message #${m.id} of type '${ptTlsTypeName(vendor, type)}' (${data.length} bytes)`,
    fields: { id: m.id, vendor, type, value: m.value },
    details: [],
    children: [],
  };
  if (m.value.kind === 'pbTncBatch') {
    const batch = m.value.batch;
    d.fields.value = { kind: m.value.kind };
    d.children.push(describeBatch(batch, codecs, base + batch.byteOffset - data.byteOffset));
  }
  return d;
}

export const describeLayer: Record<Layer, (data: Buffer, codecs: Codecs) => Described> = {
  'pt-tls': describePtTls,
  'pb-tnc': describeBatch,
  'pa-tnc': describePaMessage,
};

/** The layer a file holds, from its first byte: PT-TLS reserved 0, PA-TNC version 1, PB-TNC version 2. */
export function guessLayer(data: Buffer): Layer | undefined {
  return (['pt-tls', 'pa-tnc', 'pb-tnc'] as const)[data[0]];
}

/** Indented text, two spaces per level. */
export function describedLines(d: Described, indent = ''): string[] {
  const inner = indent + '  ';
  return [
    `${indent}${d.title}`,
    ...d.details.map((l) => inner + l),
    ...d.children.flatMap((c) => describedLines(c, inner)),
  ];
}

/** A JSON-ready tree (byte strings as hex, bigints as decimal strings). */
export function describedJson(d: Described): string {
  const tree = (n: Described): unknown => ({
    title: n.title,
    ...n.fields,
    ...(n.children.length ? { children: n.children.map(tree) } : {}),
  });
  return JSON.stringify(
    tree(d),
    function (key, value: unknown) {
      const original: unknown = (this as Record<string, unknown>)[key];
      if (Buffer.isBuffer(original)) return original.toString('hex');
      return typeof value === 'bigint' ? value.toString() : value;
    },
    2,
  );
}
