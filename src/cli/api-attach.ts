// The EC2 Query API over a durable state directory, as `sgfw serve` runs it and as `sgfw run
// --listen` attaches it beside live enforcement: the state directory's keys and store, served by
// api/serve-store.ts (as the etcd store is), plus the flags' parsing.

import { CredentialsError, loadCredentials } from '../api/credentials.js';
import { seedEmptyStore, serveStore, storeWarnings, type AttachedApi, type ListenAt } from '../api/serve-store.js';
import { DEFAULT_LISTEN, type ApiLogger } from '../api/server.js';
import { TlsFilesError, type TlsFiles } from '../api/tls-files.js';
import { openDurableStore, type DurableStore } from '../state/durable-store.js';
import { checkEnforced, EnforcedMark } from '../state/enforced-mark.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_STATE_DIR = '/var/lib/sgfw';

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
  /**
   * a live mode enforces this state: refuse to start when the directory is behind what this host
   * last enforced from it, and keep that record (state/enforced-mark.ts)
   */
  enforcing?: boolean;
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
  const onWarning = storeWarnings(options.logger);
  if (options.enforcing !== true) {
    const store = await openDurableStore(dir, { onWarning });
    return serveStore(store, { stateDir: dir, keys, listen: options.listen, logger: options.logger }, () =>
      seedFromStateFiles(store, dir, options.stateFiles ?? []),
    );
  }
  const mark = new EnforcedMark(dir, onWarning);
  const store = await openDurableStore(dir, { onWarning, onAcknowledged: (p) => mark.note(p) });
  const api = await serveStore(store, { stateDir: dir, keys, listen: options.listen, logger: options.logger }, async () => {
    await checkEnforced(dir, store.position);
    await seedFromStateFiles(store, dir, options.stateFiles ?? []);
    mark.note(store.position);
  });
  return { ...api, close: () => api.close().then(() => mark.flush()) };
}

/** `--state FILE…` seeds an empty state directory; refusing otherwise keeps two truths from mixing. */
function seedFromStateFiles(store: DurableStore, dir: string, files: readonly string[]): Promise<void> {
  return seedEmptyStore(store, files, () => new UsageError(`--state: ${dir} already holds state; start without --state, or use a new --state-dir`));
}

/**
 * SIGHUP for the API: re-reads the keys of the state directory (a bad file is logged and the keys
 * last read stay) and --tls-cert and --tls-key (a renewed certificate serves new connections; a bad
 * file is logged and the old pair stays). Never throws for a bad file: SIGHUP must not stop a server.
 */
export function reloadApiFiles(api: AttachedApi, log: ApiLogger, tls?: TlsFiles): void {
  try {
    const keys = api.credentials.reload();
    log.info({ event: 'sighup', reload: 'credentials', keys }, `SIGHUP: reloaded the access keys (${keys})`);
  } catch (e) {
    if (!(e instanceof CredentialsError)) throw e;
    log.error({ event: 'sighup', reload: 'credentials-failed' }, `SIGHUP: ${e.message}; the API keeps the keys last read`);
  }
  try {
    if (!api.server.reloadTls()) return;
    log.info({ event: 'sighup', reload: 'tls' }, `SIGHUP: reloaded ${tls ? `${tls.certFile} and ${tls.keyFile}` : "the API's TLS certificate and key"}`);
  } catch (e) {
    if (!(e instanceof TlsFilesError)) throw e;
    log.error({ event: 'sighup', reload: 'tls-failed' }, `SIGHUP: ${e.message}; still serving the previous certificate`);
  }
}
