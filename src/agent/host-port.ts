import { PT_TLS_PORT } from '../protocol/pt-tls/types';

/** `HOST[:PORT]` or `[IPv6][:PORT]`, the port defaulting to PT-TLS's (RFC 6876 4: 271). */
export function parseHostPort(s: string, defaultPort = PT_TLS_PORT): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(s);
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (!m || port > 65535) throw new Error(`'${s}' is not HOST[:PORT]`);
  return { host: m[1] ?? m[2], port };
}
