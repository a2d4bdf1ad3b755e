// How the EC2 API answers, the same for `sgfw serve` and `sgfw run --listen`: the Host names it
// answers to besides its listen address (--api-host) and HTTPS (--tls-cert, --tls-key). The
// certificate files are read here, while the flags are parsed, so a bad one stops the start before
// any store is opened or seeded.
import { ApiHostError, parseApiHost } from '../api/server-hosts.js';
import type { ListenAt } from '../api/serve-store.js';
import { loadTlsFiles } from '../api/tls-files.js';
import { parseListen } from './api-attach.js';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { UsageError } from './usage-error.js';

export const API_ENDPOINT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'api-host',
    kind: 'string',
    value: 'NAME[:PORT]',
    repeatable: true,
    description: 'also answer requests whose (signed) Host is NAME: a DNS name, or a proxy in front; without PORT, the default port or the listen port',
    check: (value) => {
      try {
        parseApiHost(value);
      } catch (e) {
        throw e instanceof ApiHostError ? new UsageError(e.message) : e;
      }
    },
  },
  { name: 'tls-cert', kind: 'string', value: 'FILE', description: 'serve HTTPS (TLS 1.2+) with this PEM certificate (chain); with --tls-key; SIGHUP re-reads both' },
  { name: 'tls-key', kind: 'string', value: 'FILE', description: 'the PEM private key of --tls-cert' },
];

/** The API flags given, by name with dashes, for a "goes with --listen" message. */
export function apiEndpointFlagsGiven(args: ParsedArgs): string[] {
  return API_ENDPOINT_FLAGS.filter((f) => (f.repeatable ? args.strings(f.name).length > 0 : args.string(f.name) !== undefined)).map((f) => `--${f.name}`);
}

/**
 * `--listen` with the flags above. Throws UsageError (a malformed value, one TLS flag without the
 * other) or TlsFilesError (a certificate or key that cannot serve, naming the file).
 */
export function apiListenAt(args: ParsedArgs, listenText: string): ListenAt {
  const listen = parseListen(listenText);
  let hostNames;
  try {
    hostNames = args.strings('api-host').map(parseApiHost);
  } catch (e) {
    throw e instanceof ApiHostError ? new UsageError(e.message) : e;
  }
  const certFile = args.string('tls-cert');
  const keyFile = args.string('tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = certFile === undefined || keyFile === undefined ? undefined : loadTlsFiles({ certFile, keyFile });
  return { ...listen, ...(hostNames.length > 0 ? { hostNames } : {}), ...(tls ? { tls } : {}) };
}
