// `sgfw serve`: the EC2 Query API over the durable state in --state-dir, signed with the keys of
// `sgfw credentials create`. Plain HTTP on 127.0.0.1 by default; for other hosts HTTPS itself
// (--tls-cert, --tls-key) or a TLS proxy in front (e.g. nginx `proxy_pass http://127.0.0.1:8080;`
// keeping the Host header: it is signed, and must be one the server answers to, see --api-host).

import { CredentialsError } from '../api/credentials.js';
import { DEFAULT_LISTEN } from '../api/server.js';
import { attachEtcdApi, StoreNotEmpty, type EtcdAttachedApi } from '../fleet/etcd-api-attach.js';
import { EtcdStoreError } from '../fleet/etcd-store.js';
import { pacedReplay } from '../replay/paced-replay.js';
import type { AttachedApi } from '../api/serve-store.js';
import { SERVICE_ACTIONS } from '../control/action-table.js';
import { observeApiRequests } from '../observe/api-metrics.js';
import { MetricsServerError, parseListenAddress, startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { SgfwMetrics } from '../observe/metrics.js';
import { attachApi, DEFAULT_STATE_DIR, reloadApiFiles } from './api-attach.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { API_ENDPOINT_FLAGS, apiListenAt } from './flags-api-endpoint.js';
import { hostPortOrPort, listenAddress, positiveNumber } from './flags-checks.js';
import { LOG_FLAGS, loggerFromFlags } from './flags-log.js';
import { STORE_ACCESS_FLAGS, storeFlag, storeFlags, warnCertificateExpiry } from './flags-store.js';
import { serviceNotify } from './service-notify.js';
import { UsageError } from './usage-error.js';
import { packageVersion } from './version.js';

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
    'Logs: JSON lines (pino) on stderr (one human line each on a terminal or with --log-format pretty), one per',
    'request: event "request", action, status, code (the EC2 error code), authFailure (unsigned, missing-header,',
    'malformed, wrong-service, stale-date, unknown-key or bad-signature) and reason, accessKeyId, remote, ms.',
    'Keys: a key made, deleted or rotated with `sgfw credentials` counts within a second; SIGHUP re-reads the',
    'keys (and the certificate) at once and never stops the server.',
  ].join('\n'),
  flags: [
    { name: 'state-dir', kind: 'string', value: 'DIR', description: `state directory (default ${DEFAULT_STATE_DIR})` },
    storeFlag('keep the state in etcd, shared by every server on it, instead of --state-dir (which then holds only the credentials); etcds:// for TLS'),
    ...STORE_ACCESS_FLAGS,
    { name: 'listen', kind: 'string', value: 'HOST:PORT', description: `address to listen on (default ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}; port 0 picks one)`, check: listenAddress },
    ...API_ENDPOINT_FLAGS,
    {
      name: 'state',
      kind: 'string',
      value: 'FILE',
      repeatable: true,
      description: 'AWS CLI JSON to start from; only into an empty state directory; files merge',
    },
    {
      name: 'replay',
      kind: 'string',
      value: 'CAPTURE',
      description: 'also judge this capture, at its own pace, against the live state: an accepted API call is in force for the next frame',
    },
    { name: 'replay-speed', kind: 'string', value: 'X', description: 'play --replay X times faster than captured (default 1)', check: positiveNumber },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'with --replay: one JSON line per frame, written as it is judged' },
    { name: 'metrics', kind: 'string', value: 'HOST:PORT', description: 'serve Prometheus /metrics (API requests by action and code, latency, process), /status (JSON, for `sgfw status`), /healthz and /readyz here (a bare PORT listens on 127.0.0.1)', check: hostPortOrPort },
    ...LOG_FLAGS,
  ],
  async run(args, { io, config }) {
    const log = loggerFromFlags(args, io);
    const systemd = serviceNotify((line) => log.warn({ event: 'systemd-notify' }, line));
    const dir = args.string('state-dir') ?? DEFAULT_STATE_DIR;
    const listen = apiListenAt(args, args.string('listen') ?? `${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}`);
    const speed = Number(args.string('replay-speed') ?? '1');
    if (!(speed > 0)) throw new UsageError(`--replay-speed expects a positive number, got '${args.string('replay-speed')}'`);
    const metricsText = args.string('metrics');
    const metricsAt = metricsText === undefined ? null : parseListenAddress(metricsText);
    if (metricsText !== undefined && metricsAt === null) throw new UsageError(`--metrics expects HOST:PORT or PORT, got '${metricsText}'`);
    const metricsRegistry = metricsAt === null ? null : new SgfwMetrics({ version: packageVersion() });
    if (metricsRegistry) listen.onAnswered = observeApiRequests(metricsRegistry, [...SERVICE_ACTIONS, 'GetCallerIdentity']);
    const storeGiven = storeFlags(args, config?.env ?? process.env);
    if (storeGiven) warnCertificateExpiry(storeGiven, log);
    const store = storeGiven?.store;
    const storeText = storeGiven?.text;
    let api: AttachedApi | EtcdAttachedApi;
    try {
      api = store === undefined
        ? await attachApi({ stateDir: dir, listen, stateFiles: args.strings('state'), logger: log })
        : await attachEtcdApi({ store, stateDir: dir, listen, stateFiles: args.strings('state'), logger: log });
    } catch (e) {
      if (!(e instanceof CredentialsError || e instanceof EtcdStoreError || e instanceof StoreNotEmpty)) throw e;
      log.fatal({ event: 'start-failed' }, e.message);
      return e instanceof EtcdStoreError ? ExitCode.failed : ExitCode.usage;
    }
    if (api.keyCount === 0) log.warn({ event: 'no-credentials', stateDir: dir }, `no credentials in ${dir} yet; run 'sgfw credentials create --state-dir ${dir}'`);
    const live = api.service;
    const server = api.server;
    const startedAt = Date.now();
    let metrics: MetricsServer | null = null;
    if (metricsAt !== null && metricsRegistry !== null) {
      try {
        metrics = await startMetricsServer(metricsAt, () => metricsRegistry.render(), { status: () => serveStatus(api, storeText ?? dir, startedAt) });
      } catch (e) {
        await api.close();
        if (!(e instanceof MetricsServerError)) throw e;
        log.fatal({ event: 'start-failed' }, e.message);
        return ExitCode.failed;
      }
    }
    // Handlers go in before the ready line: a signal sent on seeing it must find them. They stay
    // until the store is closed, so a second signal cannot cut the clean-up short. SIGHUP never
    // stops the server: it re-reads the keys and the certificate, and reopens --verdicts by name.
    let requestStop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (requestStop = resolve));
    const stop = (): void => {
      systemd.stopping('stopping');
      requestStop();
    };
    let reopenVerdicts = (): void => {};
    const hangup = (): void => {
      try {
        reopenVerdicts();
      } catch (e) {
        log.error({ event: 'sighup', reload: 'verdicts' }, `SIGHUP: cannot reopen --verdicts (${(e as Error).message}); still writing the old file`);
      }
      reloadApiFiles(api, log, listen.tls);
    };
    const reload = (): void => systemd.reloading(hangup);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
    log.info(
      { event: 'ready', url: server.url, stateDir: storeText === undefined ? dir : undefined, store: storeText, metrics: metrics?.address ?? null, keys: api.keyCount },
      `listening on ${server.url} (${storeText === undefined ? `state ${dir}` : `store ${storeText}`}${metrics ? `, metrics on ${metrics.address.host}:${metrics.address.port}` : ''}); SIGINT/SIGTERM to stop, SIGHUP to reload keys and certificate`,
    );
    systemd.ready(`API on ${server.url} (${storeText === undefined ? `state ${dir}` : `store ${storeText}`})`);
    const stopReplay = new AbortController();
    const capture = args.string('replay');
    const replaying = capture
      ? pacedReplay(live, { capture, verdictsFile: args.string('verdicts'), speed, signal: stopReplay.signal, onReopenable: (reopen) => (reopenVerdicts = reopen) }).then(
          (r) => log.info({ event: 'replay-done', capture, frames: r.frames, allowed: r.allowed, dropped: r.dropped }, `replayed ${capture}: ${r.frames} frames, ${r.allowed} allowed, ${r.dropped} dropped`),
          (e: Error) => log.error({ event: 'replay-stopped', capture }, `replay stopped: ${e.message}`),
        )
      : Promise.resolve();
    await stopped;
    stopReplay.abort();
    await replaying;
    await metrics?.close();
    await api.close();
    log.info({ event: 'stop' }, 'stopped');
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', reload);
    systemd.close();
    return ExitCode.ok;
  },
};

/** GET /status of `sgfw serve --metrics`: what it serves, from where, for how long. */
function serveStatus(api: AttachedApi, source: string, startedAt: number): Record<string, unknown> {
  return {
    status: 'running',
    mode: 'serve',
    pid: process.pid,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
    api: api.address,
    source,
    modelVersion: api.service.version,
    interfaces: [...api.service.interfaces()].map((i) => i.interfaceId),
  };
}
