// `sgfw serve`: the EC2 Query API over the durable state in --state-dir, signed with the keys of
// `sgfw credentials create`. Plain HTTP on 127.0.0.1 by default; for other hosts HTTPS itself
// (--tls-cert, --tls-key) or a TLS proxy in front (e.g. nginx `proxy_pass http://127.0.0.1:8080;`
// keeping the Host header: it is signed, and must be one the server answers to, see --api-host).

import { CredentialsError } from '../api/credentials.js';
import { TlsFilesError } from '../api/tls-files.js';
import { DEFAULT_LISTEN } from '../api/server.js';
import { attachEtcdApi, StoreNotEmpty, type EtcdAttachedApi } from '../fleet/etcd-api-attach.js';
import { EtcdStoreError } from '../fleet/etcd-store.js';
import { parseStoreUrl, StoreUrlError } from '../fleet/store-url.js';
import { pacedReplay } from '../replay/paced-replay.js';
import type { AttachedApi } from '../api/serve-store.js';
import { attachApi, DEFAULT_STATE_DIR } from './api-attach.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { API_ENDPOINT_FLAGS, apiListenAt } from './flags-api-endpoint.js';
import { listenAddress, storeUrl } from './flags-checks.js';
import { serviceNotify } from './service-notify.js';
import { UsageError } from './usage-error.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the EC2 Query API (aws CLI, SDKs, Ansible) over the durable state in --state-dir',
  description: [
    'Requests must be signed (SigV4, any region, service ec2; STS GetCallerIdentity for service sts)',
    'by a key from `sgfw credentials create --state-dir DIR`. A change is answered once it is on disk.',
    'Listens on 127.0.0.1:8080 by default and speaks plain HTTP: to serve other hosts, give it',
    '--tls-cert and --tls-key (HTTPS, TLS 1.2+; SIGHUP re-reads them) or put a TLS reverse proxy in',
    'front. A request whose Host (which clients sign) is not the listen address (or localhost on a',
    'loopback one; any local address and the host name on 0.0.0.0 or ::) nor an --api-host is',
    'refused: a signature made for another endpoint does not run here. SIGINT/SIGTERM stop it.',
  ].join('\n'),
  flags: [
    { name: 'state-dir', kind: 'string', value: 'DIR', description: `state directory (default ${DEFAULT_STATE_DIR})` },
    {
      name: 'store',
      kind: 'string',
      value: 'etcd://HOST:PORT[,HOST:PORT…]',
      description: 'keep the state in etcd, shared by every server on it, instead of --state-dir (which then holds only the credentials)',
      check: storeUrl,
    },
    { name: 'listen', kind: 'string', value: 'HOST:PORT', description: `address to listen on (default ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}; port 0 picks one)`, check: listenAddress },
    ...API_ENDPOINT_FLAGS,
    {
      name: 'state',
      kind: 'string',
      value: 'FILE',
      repeatable: true,
      description: 'AWS CLI JSON to start from; only into an empty state directory (repeatable, files merge)',
    },
    {
      name: 'replay',
      kind: 'string',
      value: 'CAPTURE',
      description: 'also judge this capture, at its own pace, against the live state: an accepted API call is in force for the next frame',
    },
    { name: 'replay-speed', kind: 'string', value: 'X', description: 'play --replay X times faster than captured (default 1)' },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'with --replay: one JSON line per frame, written as it is judged' },
  ],
  async run(args, { io }) {
    const systemd = serviceNotify((line) => io.stderr.write(`sgfw serve: ${line}\n`));
    const dir = args.string('state-dir') ?? DEFAULT_STATE_DIR;
    const listen = apiListenAt(args, args.string('listen') ?? `${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}`);
    const speed = Number(args.string('replay-speed') ?? '1');
    if (!(speed > 0)) throw new UsageError(`--replay-speed expects a positive number, got '${args.string('replay-speed')}'`);
    const storeFlag = args.string('store');
    let store;
    try {
      store = storeFlag === undefined ? undefined : parseStoreUrl(storeFlag);
    } catch (e) {
      throw e instanceof StoreUrlError ? new UsageError(e.message) : e;
    }
    let api: AttachedApi | EtcdAttachedApi;
    try {
      api = store === undefined
        ? await attachApi({ stateDir: dir, listen, stateFiles: args.strings('state') })
        : await attachEtcdApi({ store, stateDir: dir, listen, stateFiles: args.strings('state') });
    } catch (e) {
      if (!(e instanceof CredentialsError || e instanceof EtcdStoreError || e instanceof StoreNotEmpty)) throw e;
      io.stderr.write(`sgfw serve: ${e.message}\n`);
      return e instanceof EtcdStoreError ? ExitCode.failed : ExitCode.usage;
    }
    if (api.keyCount === 0) io.stderr.write(`sgfw serve: no credentials in ${dir} yet; run 'sgfw credentials create --state-dir ${dir}'\n`);
    const live = api.service;
    const server = api.server;
    // Handlers go in before the ready line: a signal sent on seeing it must find them. They stay
    // until the store is closed, so a second signal cannot cut the clean-up short.
    let requestStop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (requestStop = resolve));
    const stop = (): void => {
      systemd.stopping('stopping');
      requestStop();
    };
    const reload = (): void => systemd.reloading(hangup);
    const hangup = (): void => {
      try {
        if (server.reloadTls()) io.stderr.write(`sgfw serve: SIGHUP: reloaded ${listen.tls?.certFile} and ${listen.tls?.keyFile}\n`);
        else io.stderr.write('sgfw serve: SIGHUP: nothing to reload (plain HTTP)\n');
      } catch (e) {
        if (!(e instanceof TlsFilesError)) throw e;
        io.stderr.write(`sgfw serve: SIGHUP: ${e.message}; still serving the previous certificate\n`);
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
    io.stderr.write(`sgfw serve: listening on ${server.url} (${storeFlag === undefined ? `state ${dir}` : `store ${storeFlag}`})\n`);
    systemd.ready(`API on ${server.url} (${storeFlag === undefined ? `state ${dir}` : `store ${storeFlag}`})`);
    const stopReplay = new AbortController();
    const capture = args.string('replay');
    const replaying = capture
      ? pacedReplay(live, { capture, verdictsFile: args.string('verdicts'), speed, signal: stopReplay.signal }).then(
          (r) => io.stderr.write(`sgfw serve: replayed ${capture}: ${r.frames} frames, ${r.allowed} allowed, ${r.dropped} dropped\n`),
          (e: Error) => io.stderr.write(`sgfw serve: replay stopped: ${e.message}\n`),
        )
      : Promise.resolve();
    await stopped;
    stopReplay.abort();
    await replaying;
    await api.close();
    io.stderr.write('sgfw serve: stopped\n');
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', reload);
    systemd.close();
    return ExitCode.ok;
  },
};
