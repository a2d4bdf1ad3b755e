// `sgfw serve --store etcd://…`: the EC2 Query API over the etcd store, as cli/api-attach.ts does
// over a state directory (both through api/serve-store.ts). Credentials still come from
// --state-dir: they are the API host's secrets, and every agent of the fleet reads the etcd prefix,
// so keys stored there would be readable by all.
import { loadCredentials } from '../api/credentials.js';
import type { ApiLogger } from '../api/server.js';
import { seedEmptyStore, serveStore, storeWarnings, type AttachedApi, type ListenAt } from '../api/serve-store.js';
import { openEtcdStore, type EtcdStore } from './etcd-store.js';
import type { StoreUrl } from './store-url.js';

export interface EtcdApiOptions {
  store: StoreUrl;
  /** where the API keys are (`sgfw credentials create --state-dir DIR`) */
  stateDir: string;
  listen: ListenAt;
  /** AWS CLI JSON to seed an empty store with; refused when the store already holds state */
  stateFiles?: readonly string[];
  logger?: ApiLogger;
}

export type EtcdAttachedApi = AttachedApi & { readonly store: EtcdStore };

/** Seeding a store that holds state: two truths would mix. */
export class StoreNotEmpty extends Error {
  constructor(where: string) {
    super(`--state: the store ${where} already holds state; start without --state, or use another prefix`);
    this.name = 'StoreNotEmpty';
  }
}

/** Loads the keys, opens (and seeds) the store, starts the server; closes what it opened if it throws. */
export async function attachEtcdApi(options: EtcdApiOptions): Promise<EtcdAttachedApi> {
  const keys = await loadCredentials(options.stateDir);
  const store = await openEtcdStore({
    endpoints: options.store.endpoints, prefix: options.store.prefix, tls: options.store.tls, auth: options.store.auth,
    onWarning: storeWarnings(options.logger),
  });
  return serveStore(store, { stateDir: options.stateDir, keys, listen: options.listen, logger: options.logger }, () =>
    seedEmptyStore(store, options.stateFiles ?? [], () => new StoreNotEmpty(`${options.store.endpoints.join(',')} ${options.store.prefix}`)),
  );
}
