export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const BRACKETED = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/;
const NAME = /^([A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/;
// An IPv6 address without brackets cannot carry a port: `fe80::1:7070` is an address.
const BARE_IPV6 = /^([0-9A-Fa-f:]*:[0-9A-Fa-f:]*)()$/;

/**
 * The one `host:port` parser: `host:port`, `[v6]:port`, and, when `defaultPort` is given, `host`,
 * `[v6]` and a bare IPv6 address (RTS2's `HostString`) too. The host comes without brackets; the
 * port is 1..65535. Anything else is undefined.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const m = BRACKETED.exec(text) ?? NAME.exec(text) ?? BARE_IPV6.exec(text);
  if (m === null || m[1] === undefined || m[1] === '') return undefined;
  const port = m[2] === undefined || m[2] === '' ? defaultPort : Number(m[2]);
  return port !== undefined && port > 0 && port < 65536 ? { host: m[1], port } : undefined;
}
