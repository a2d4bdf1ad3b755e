// The Host names the API server answers to. SigV4 signs the Host header so that a signature made
// for one endpoint is worthless at another, but only if the endpoint refuses a Host that is not its
// own: without this check a request signed for another sgfw sharing the keys (or captured on its
// way there) would be run here too.
//
// By default the server answers to the address it listens on, as clients write it in their
// endpoint URL: `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080` on a loopback address. On a
// wildcard listen (0.0.0.0, ::) it answers to the local address each request arrived at (any
// interface, including one that comes up later), `localhost` and the machine's host name. Names
// given with --api-host cover the rest: a DNS name, or the proxy's name in front of it.

import { isIP } from 'node:net';
import { hostname } from 'node:os';

/** A host name as the WHATWG URL parser normalizes it: lowercase, IPv6 bracketed and compressed. */
export interface HostName {
  readonly name: string;
  /** undefined: the scheme's default port (80 or 443), which clients leave out of Host */
  readonly port?: number;
}

/** An --api-host value that is not `NAME[:PORT]`. */
export class ApiHostError extends Error {
  override readonly name = 'ApiHostError';
}

const HOST_CHARS = /^[A-Za-z0-9._\-:[\]]+$/;
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** 80 and 443 are what a client leaves out of Host; either way it means "the default port". */
function normalPort(port: number | undefined): number | undefined {
  return port === 80 || port === 443 ? undefined : port;
}

/** `NAME`, `NAME:PORT`, `[v6]` or `[v6]:PORT`, normalized; undefined when it is none of those. */
export function parseHostName(value: string): HostName | undefined {
  // Only host characters: the URL parser would otherwise read `user@host` or `host/path` happily.
  if (!HOST_CHARS.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    return undefined;
  }
  if (url.hostname === '') return undefined;
  return { name: url.hostname, port: normalPort(url.port === '' ? undefined : Number(url.port)) };
}

/** `--api-host NAME[:PORT]`; throws ApiHostError naming the value. */
export function parseApiHost(value: string): HostName {
  const parsed = parseHostName(value);
  if (parsed === undefined || parsed.name.includes('%')) throw new ApiHostError(`--api-host expects NAME[:PORT], got '${value}'`);
  return parsed;
}

/** An address as it appears in a Host header: IPv4-mapped IPv6 as IPv4, IPv6 bracketed, no zone. */
function addressAsHostName(address: string): string | undefined {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').replace(/%.*$/, '');
  if (isIP(plain) === 0) return undefined;
  return parseHostName(isIP(plain) === 6 ? `[${plain}]` : plain)?.name;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface HostCheck {
  /** whether a request with this Host header, arriving at `localAddress`, is for this server */
  accepts(hostHeader: string | undefined, localAddress: string | undefined): boolean;
}

/**
 * The names a server listening on `listenHost:port` answers to, plus `extra` (--api-host). An
 * entry without a port also matches the listen port: `--api-host sgfw.internal` serves both a proxy
 * on https://sgfw.internal and clients calling http://sgfw.internal:8080 directly.
 */
export function hostCheck(listenHost: string, port: number, extra: readonly HostName[] = []): HostCheck {
  const own = normalPort(port);
  const names: HostName[] = [...extra];
  const wildcard = WILDCARDS.has(listenHost);
  if (wildcard) {
    names.push({ name: 'localhost', port: own }, { name: hostname().toLowerCase(), port: own });
  } else {
    const listened = parseHostName(isIP(listenHost) === 6 ? `[${listenHost}]` : listenHost);
    if (listened !== undefined) names.push({ name: listened.name, port: own });
    if (isLoopback(listenHost)) names.push({ name: 'localhost', port: own });
  }
  return {
    accepts(hostHeader, localAddress) {
      const host = hostHeader === undefined ? undefined : parseHostName(hostHeader.trim());
      if (host === undefined) return false;
      if (names.some((n) => n.name === host.name && (n.port === host.port || (n.port === undefined && host.port === own)))) return true;
      // The address the client reached: on a wildcard listen any interface's, and on a listen by
      // name the address that name resolved to.
      return host.port === own && localAddress !== undefined && addressAsHostName(localAddress) === host.name;
    },
  };
}
