// The EC2 Query API over a durable state directory, as `sgfw serve` runs it and as `sgfw run
// --listen` attaches it beside live enforcement: one way to load the keys, open (and seed) the store
// and start the server, so both commands mean the same by --listen, --state-dir and --state.

import { credentialsFromDir, loadCredentials } from '../api/credentials.js';
import { dryRunOnCopy } from '../api/server-dry-run.js';
import { DEFAULT_LISTEN, startApiServer, type ApiLogger, type ApiServer } from '../api/server.js';
import type { SecurityGroupService } from '../control/service.js';
import { IMPORT_ACTION, openDurableStore, type DurableStore } from '../state/durable-store.js';
import { loadStateFiles } from '../state/state-files.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_STATE_DIR = '/var/lib/sgfw';

export interface ListenAt {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (127.0.0.1) */
export function parseListen(value: string): ListenAt {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new UsageError(`--listen expects HOST:PORT, got '${value}'`);
  return { host: m[1] ?? (m[2] === '' ? DEFAULT_LISTEN.host : m[2]), port };
}

export interface ApiAttachOptions {
  /** the durable state directory (created 0700 when missing) */
  stateDir: string;
  listen: ListenAt;
  /** AWS CLI JSON to seed an empty state directory with; refused when it already holds state */
  stateFiles?: readonly string[];
  /** request logs (pino fits); none by default */
  logger?: ApiLogger;
}

export interface AttachedApi {
  readonly store: ServedStore;
  /** the live state: subscribe with `service.onChange`; change it only through the API (the store) */
  readonly service: SecurityGroupService;
  readonly server: ApiServer;
  /** keys in the state directory when it started (0: the API refuses every call until one is made) */
  readonly keyCount: number;
  /** `HOST:PORT` as a ready line prints it (`[v6]:PORT` for IPv6) */
  readonly address: string;
  /** stops the server (letting queued calls finish), then closes the store; idempotent */
  close(): Promise<void>;
}

/**
 * Loads the keys, opens the store (taking its lock), seeds it from `stateFiles` and starts the
 * server. Throws CredentialsError (bad credentials file), UsageError (seeding a non-empty
 * directory), StateError (locked or damaged store, bad state file) or the listen error; whatever it
 * opened is closed again before it throws.
 */
export async function attachApi(options: ApiAttachOptions): Promise<AttachedApi & { readonly store: DurableStore }> {
  const dir = options.stateDir;
  const keys = await loadCredentials(dir);
  const store = await openDurableStore(dir);
  return serveStore(store, { stateDir: dir, keys, listen: options.listen, logger: options.logger }, () =>
    seedFromStateFiles(store, dir, options.stateFiles ?? []),
  );
}

/** What `serveStore` serves: a store that runs each call and answers once the change is durable. */
export interface ServedStore {
  apply(action: string, params: unknown): Promise<unknown>;
  readonly service: SecurityGroupService;
  close(): Promise<void>;
}

/**
 * Runs `prepare` (seeding), then starts the API server over `store` with the keys of `stateDir`;
 * closes the store again if either throws. The attached API closes the server (letting queued
 * calls finish), then the store. Shared by the state directory and the etcd store.
 */
export async function serveStore<S extends ServedStore>(
  store: S,
  o: { stateDir: string; keys: Awaited<ReturnType<typeof loadCredentials>>; listen: ListenAt; logger?: ApiLogger },
  prepare: () => Promise<void> = async () => undefined,
): Promise<AttachedApi & { readonly store: S }> {
  let server: ApiServer;
  try {
    await prepare();
    const live = store.service;
    server = await startApiServer({
      service: { call: (action, params) => store.apply(action, params), accountId: live.accountId },
      credentials: credentialsFromDir(o.stateDir, o.keys),
      listen: o.listen,
      dryRun: dryRunOnCopy(live),
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
    address: `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`,
    close() {
      closing ??= running.close().then(() => store.close());
      return closing;
    },
  };
}

/** `--state FILE…` seeds an empty state directory; refusing otherwise keeps two truths from mixing. */
async function seedFromStateFiles(store: DurableStore, dir: string, files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  if (store.seq > 0) {
    throw new UsageError(`--state: ${dir} already holds state; start without --state, or use a new --state-dir`);
  }
  await loadStateFiles(files, { importSnapshot: (doc) => store.apply(IMPORT_ACTION, doc) });
}
