// `--store etcd[s]://…` and how to get into that etcd, the same for `sgfw serve --store` and the
// fleet agent (`sgfw run --store`): --store-ca, --store-cert, --store-key, --store-user and
// --store-password-file, from the command line, SGFW_* or the config file like any flag; the
// password itself only from that file or SGFW_STORE_PASSWORD. The files are read here, while the
// flags are parsed, so a bad one stops the start before anything is opened.
import { clientCertificateExpiry, withStoreAccess } from '../fleet/store-access.js';
import { parseStoreUrl, StoreUrlError, type StoreUrl } from '../fleet/store-url.js';
import type { Logger } from '../observe/logger.js';
import type { ConfigPlace } from './command.js';
import { storeUrl } from './flags-checks.js';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { UsageError } from './usage-error.js';

/** The variable the etcd password may come from (it is no flag: a flag's value shows in `ps`). */
export const STORE_PASSWORD_ENV = 'SGFW_STORE_PASSWORD';

export const STORE_VALUE = 'etcd[s]://HOST:PORT[,…][/PREFIX/]';

/** --store itself, with the description each command gives it. */
export function storeFlag(description: string): FlagSpec {
  return { name: 'store', kind: 'string', value: STORE_VALUE, description, check: storeUrl };
}

export const STORE_ACCESS_FLAGS: readonly FlagSpec[] = [
  { name: 'store-ca', kind: 'string', value: 'FILE', description: 'with --store etcds://: the PEM CA certificate(s) that sign the etcd members\' certificates (default: the system\'s CAs)' },
  { name: 'store-cert', kind: 'string', value: 'FILE', description: 'with --store etcds://: a PEM client certificate for mutual TLS (etcd --client-cert-auth; its CN is the etcd user unless --store-user logs in); with --store-key' },
  { name: 'store-key', kind: 'string', value: 'FILE', description: 'the PEM private key of --store-cert' },
  { name: 'store-user', kind: 'string', value: 'NAME', description: `with --store etcds://: log in to etcd as this user, with the password from --store-password-file or ${STORE_PASSWORD_ENV}` },
  { name: 'store-password-file', kind: 'string', value: 'FILE', description: `the password of --store-user, the file's first line (or ${STORE_PASSWORD_ENV}; never a flag's value)` },
];

export interface StoreFlags {
  /** the URL with the TLS material and the user */
  readonly store: StoreUrl;
  /** the text given to --store, for messages (never holds a secret) */
  readonly text: string;
}

/**
 * --store and the access flags, the files read; undefined without --store. Throws UsageError for
 * flags that do not go together, StoreAccessError for a file that cannot serve.
 */
export function storeFlags(args: ParsedArgs, env: ConfigPlace['env']): StoreFlags | undefined {
  const text = args.string('store');
  const password = env[STORE_PASSWORD_ENV];
  const given = STORE_ACCESS_FLAGS.filter((f) => args.string(f.name) !== undefined).map((f) => `--${f.name}`);
  if (text === undefined) {
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'go' : 'goes'} with --store etcds://…`);
    return undefined;
  }
  try {
    const store = withStoreAccess(parseStoreUrl(text), {
      caFile: args.string('store-ca'),
      certFile: args.string('store-cert'),
      keyFile: args.string('store-key'),
      user: args.string('store-user'),
      passwordFile: args.string('store-password-file'),
      password: password === '' ? undefined : password,
    });
    return { store, text };
  } catch (e) {
    throw e instanceof StoreUrlError ? new UsageError(e.message) : e;
  }
}

/** A warning when --store-cert expires within 30 days (sgfw reads it only at start: renew, then restart). */
export function warnCertificateExpiry(store: StoreFlags, log: Logger): void {
  const soon = clientCertificateExpiry(store.store);
  if (soon === undefined) return;
  log.warn(
    { event: 'store-cert-expiring', notAfter: soon.notAfter, days: soon.days },
    `--store-cert expires on ${soon.notAfter} (in ${soon.days} days): etcd refuses it from then on; renew it and restart`,
  );
}
