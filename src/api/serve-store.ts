// The EC2 Query API over a store that runs each call and answers once the change is durable: the
// state directory (`sgfw serve`, `sgfw run --listen`, through cli/api-attach.ts) and the etcd store
// (`sgfw serve --store etcd://…`, through fleet/etcd-api-attach.ts). Here, below both, so the two
// mean the same by --listen, --state-dir and --state.
import type { SecurityGroupService } from '../control/service.js';
import { IMPORT_ACTION } from '../state/store-front.js';
import { loadStateFiles } from '../state/state-files.js';
import { credentialsFromDir, type Credential, type ReloadableCredentials } from './credentials.js';
import { dryRunWithoutApplying } from './server-dry-run.js';
import { startApiServer, type AnsweredRequest, type ApiLogger, type ApiServer } from './server.js';
import type { HostName } from './server-hosts.js';
import type { TlsMaterial } from './tls-files.js';

/** Where and how the API answers: the listen address, the Host names it also answers to, HTTPS. */
export interface ListenAt {
  host: string;
  port: number;
  /** `--api-host`: Host names besides the listen address's own (see server-hosts.ts) */
  hostNames?: readonly HostName[];
  /** `--tls-cert`/`--tls-key`, loaded: serve HTTPS */
  tls?: TlsMaterial;
  /** told of every answered request (`sgfw serve --metrics`) */
  onAnswered?: (answered: AnsweredRequest) => void;
  /**
   * awaited after each call the store accepted, before the answer: resolves once the change is in
   * force wherever packets are judged (host mode's worker threads, live/host-workers.ts)
   */
  inForce?: () => Promise<void>;
}

/** What `serveStore` serves: a store that runs each call and answers once the change is durable. */
export interface ServedStore {
  apply(action: string, params: unknown): Promise<unknown>;
  readonly service: SecurityGroupService;
  close(): Promise<void>;
}

export interface AttachedApi {
  readonly store: ServedStore;
  /** the live state: subscribe with `service.onChange`; change it only through the API (the store) */
  readonly service: SecurityGroupService;
  readonly server: ApiServer;
  /** keys in the state directory when it started (0: the API refuses every call until one is made) */
  readonly keyCount: number;
  /** the keys the API accepts, followed in the state directory; `reload()` on SIGHUP */
  readonly credentials: ReloadableCredentials;
  /** `HOST:PORT` as a ready line prints it (`[v6]:PORT` for IPv6) */
  readonly address: string;
  /** stops the server (letting queued calls finish), then closes the store; idempotent */
  close(): Promise<void>;
}

/**
 * Runs `prepare` (seeding), then starts the API server over `store` with the keys of `stateDir`;
 * closes the store again if either throws. The attached API closes the server (letting queued
 * calls finish), then the store. Shared by the state directory and the etcd store.
 */
export async function serveStore<S extends ServedStore>(
  store: S,
  o: { stateDir: string; keys: readonly Credential[]; listen: ListenAt; logger?: ApiLogger },
  prepare: () => Promise<void> = async () => undefined,
): Promise<AttachedApi & { readonly store: S }> {
  let server: ApiServer;
  const credentials = credentialsFromDir(o.stateDir, o.keys);
  try {
    await prepare();
    const live = store.service;
    server = await startApiServer({
      service: { call: inForceBeforeAnswer(store, o.listen.inForce), accountId: live.accountId },
      credentials,
      listen: o.listen,
      hostNames: o.listen.hostNames,
      tls: o.listen.tls,
      onAnswered: o.listen.onAnswered,
      dryRun: dryRunWithoutApplying(live),
      logger: o.logger,
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  let closing: Promise<void> | null = null;
  const running = server;
  return {
    store,
    service: store.service,
    server,
    keyCount: o.keys.length,
    credentials,
    address: `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`,
    close() {
      closing ??= running.close().then(() => store.close());
      return closing;
    },
  };
}

function inForceBeforeAnswer(store: ServedStore, inForce: (() => Promise<void>) | undefined): (action: string, params: unknown) => Promise<unknown> {
  if (inForce === undefined) return (action, params) => store.apply(action, params);
  return async (action, params) => {
    const result = await store.apply(action, params);
    await inForce();
    return result;
  };
}

/**
 * `--state FILE…` seeds an empty store; refusing one that holds state (`seq` > 0) with `notEmpty()`
 * keeps two truths from mixing.
 */
export async function seedEmptyStore(store: ServedStore & { readonly seq: number }, files: readonly string[], notEmpty: () => Error): Promise<void> {
  if (files.length === 0) return;
  if (store.seq > 0) throw notEmpty();
  await loadStateFiles(files, { importSnapshot: (doc) => store.apply(IMPORT_ACTION, doc) });
}

/**
 * What a store says besides answers (a torn entry dropped, a snapshot it could not write, etcd's
 * watch lost and back): a warn record of the command's log, whose stderr is JSON records only; one
 * plain line on stderr when there is no log (tests, embedders).
 */
export function storeWarnings(logger: ApiLogger | undefined): (message: string) => void {
  if (logger === undefined) return (m) => void process.stderr.write(`sgfw: ${m}\n`);
  return (m) => logger.warn({ event: 'store-warning' }, m);
}
