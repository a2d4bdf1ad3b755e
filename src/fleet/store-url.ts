// `--store etcd://HOST:PORT[,HOST:PORT…][/PREFIX/]`: the etcd members a server talks to (any of them
// answers; see etcd-gateway.ts for failover) and, optionally, the key prefix (default /sgfw/).
import { DEFAULT_PREFIX } from './key-layout.js';

export interface StoreUrl {
  readonly endpoints: readonly string[];
  readonly prefix: string;
}

export class StoreUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUrlError';
  }
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function parseStoreUrl(value: string): StoreUrl {
  const m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (m === null) throw new StoreUrlError(`--store expects etcd://HOST:PORT[,HOST:PORT…][/PREFIX/], got '${value}'`);
  const endpoints = m[1]!.split(',').map((hp) => {
    const port = HOST_PORT.exec(hp);
    if (port === null || Number(port[1]) < 1 || Number(port[1]) > 65535) {
      throw new StoreUrlError(`--store: '${hp}' in '${value}' is not HOST:PORT`);
    }
    return `http://${hp}`;
  });
  let prefix = m[2] ?? DEFAULT_PREFIX;
  if (prefix === '/') prefix = DEFAULT_PREFIX;
  if (!prefix.endsWith('/')) prefix = `${prefix}/`;
  if (/\/\/|\s/.test(prefix)) throw new StoreUrlError(`--store: the key prefix '${prefix}' in '${value}' has an empty part or a space`);
  return { endpoints, prefix };
}
