// `--store etcd://HOST:PORT[,HOST:PORT…][/PREFIX/]` (plain HTTP) or `etcds://…` (TLS): the etcd
// members a server or agent talks to (any of them answers), the key prefix (default /sgfw/), and,
// filled in from the --store-* flags by store-access.ts, the TLS material and the etcd user.
import { DEFAULT_PREFIX } from './key-layout.js';

/** TLS to etcd: present for etcds://. Without `ca` the system's CAs verify the members. */
export interface StoreTls {
  /** PEM: the CA certificate(s) that sign the members' certificates (--store-ca) */
  readonly ca?: Buffer;
  /** PEM: a client certificate (chain) for mutual TLS (--store-cert), with its key */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** An etcd user and password (--store-user, --store-password-file or SGFW_STORE_PASSWORD). */
export interface StoreAuth {
  readonly user: string;
  readonly password: string;
}

export interface StoreUrl {
  /** `http://HOST:PORT` for etcd://, `https://HOST:PORT` for etcds:// */
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly tls?: StoreTls;
  readonly auth?: StoreAuth;
}

export class StoreUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUrlError';
  }
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The URL alone: etcds:// gives `tls: {}` (the system's CAs, no client certificate) until the flags add to it. */
export function parseStoreUrl(value: string): StoreUrl {
  const m = /^(etcds?):\/\/([^/]+)(\/.*)?$/.exec(value);
  if (m === null) throw new StoreUrlError(`--store expects etcd://HOST:PORT[,HOST:PORT…][/PREFIX/] (or etcds:// for TLS), got '${value}'`);
  const secure = m[1] === 'etcds';
  const endpoints = m[2]!.split(',').map((hp) => {
    const port = HOST_PORT.exec(hp);
    if (port === null || Number(port[1]) < 1 || Number(port[1]) > 65535) {
      throw new StoreUrlError(`--store: '${hp}' in '${value}' is not HOST:PORT`);
    }
    return `${secure ? 'https' : 'http'}://${hp}`;
  });
  let prefix = m[3] ?? DEFAULT_PREFIX;
  if (prefix === '/') prefix = DEFAULT_PREFIX;
  if (!prefix.endsWith('/')) prefix = `${prefix}/`;
  if (/\/\/|\s/.test(prefix)) throw new StoreUrlError(`--store: the key prefix '${prefix}' in '${value}' has an empty part or a space`);
  return secure ? { endpoints, prefix, tls: {} } : { endpoints, prefix };
}
