// `sgfw run`: live enforcement. This slice has host mode: the host's own traffic, through an
// NFQUEUE, judged by the same Dataplane as `sgfw replay`.
import { createWriteStream, type WriteStream } from 'node:fs';
import { NfqueueError, NfqueueReader } from '../capture/nfqueue.js';
import type { SecurityGroupService } from '../control/service.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { CapabilityError, dropCapabilities } from '../live/capabilities.js';
import { HostEnforcer } from '../live/host-enforcer.js';
import { hostMetricFamilies } from '../live/host-metrics.js';
import { ReplaceableModel } from '../live/host-model.js';
import { runMonitor } from '../live/monitor.js';
import { StateReloader } from '../live/host-reload.js';
import { installQueueRules, QueueRuleError, QUEUE_CHAIN, removeQueueRules } from '../live/queue-rules.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { createLogger, isLogLevel, LOG_LEVELS } from '../observe/logger.js';
import { MetricsServerError, parseListenAddress, startMetricsServer, type ListenAddress, type MetricsServer } from '../observe/metrics-server.js';
import { renderExposition } from '../observe/metrics.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { STATE_FLAG, serviceFromStateFiles } from './state-flag.js';
import { UsageError } from './usage-error.js';

const MODES = ['host', 'monitor'] as const;

export const runCommand: Command = {
  name: 'run',
  summary: 'Enforce the security groups on live traffic (host: this host, through NFQUEUE; monitor: judge only)',
  description: [
    `--mode host: installs an iptables and an ip6tables chain ${QUEUE_CHAIN}, jumped to first from INPUT and`,
    'OUTPUT, that queues every packet except loopback to NFQUEUE --queue (default 0); sgfw answers each one.',
    'Needs root (CAP_NET_ADMIN). The state files name this host\'s interfaces by address.',
    'When sgfw is not running: by default the host fails CLOSED. If sgfw dies, its rules stay and the',
    'kernel drops every queued packet (all non-loopback traffic) until sgfw runs again, which first',
    'removes the leftovers of the earlier run. With --fail-open the rule carries --queue-bypass (no',
    'reader: packets pass) and a full queue accepts instead of dropping. SIGINT/SIGTERM remove the',
    'rules and stop: after a clean stop the host is unfiltered.',
    'Once the queue is open and the rules are in, sgfw keeps only CAP_NET_ADMIN and CAP_NET_RAW (also',
    'for the iptables it runs to remove them); the state files must stay readable by root without DAC_OVERRIDE.',
    'SIGHUP re-reads the --state files: if they all load, their rules are in force for the next packet',
    'and tracked connections keep their state (as on AWS); if one is bad, the rules in force stay and',
    'the error is logged naming the file.',
    'Logs: JSON lines (pino) on stderr: start, stop, reloads with what changed, and dropped packets with',
    'their reason, at most --drop-log-rate a second (the rest are counted).',
    '--metrics HOST:PORT serves Prometheus metrics at /metrics (a bare PORT listens on 127.0.0.1).',
    '--mode monitor --interface IF: passive capture with libpcap; nothing is dropped, would-be verdicts go',
    'to --verdicts and --flow-log (VPC Flow Logs v2, written every minute and on stop): try rules before enforcing them.',
    'Exit codes: 0 stopped cleanly; 1 the queue, the rules or the metrics port could not be set up; 2 bad usage or state.',
  ].join('\n'),
  flags: [
    { name: 'mode', kind: 'string', value: 'MODE', required: true, description: 'host or monitor (inline is not there yet)' },
    { name: 'interface', kind: 'string', value: 'IF', description: 'with --mode monitor: the interface to capture on' },
    { name: 'flow-log', kind: 'string', value: 'FILE', description: 'with --mode monitor: VPC Flow Logs v2 records of the would-be verdicts' },
    STATE_FLAG,
    { name: 'queue', kind: 'string', value: 'N', description: 'NFQUEUE number, 0–65535 (default 0)' },
    { name: 'queue-maxlen', kind: 'string', value: 'N', description: 'packets the kernel holds for sgfw (default: the kernel\'s, 1024)' },
    { name: 'fail-open', kind: 'boolean', description: 'let traffic pass when sgfw is not reading the queue, or is behind' },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'write one JSON line per packet: packet, verdict, reason, interfaces, rules' },
    { name: 'metrics', kind: 'string', value: 'HOST:PORT', description: 'serve Prometheus metrics at http://HOST:PORT/metrics' },
    { name: 'log-level', kind: 'string', value: 'LEVEL', description: `${LOG_LEVELS.join(', ')} (default info)` },
    { name: 'drop-log-rate', kind: 'string', value: 'N', description: 'dropped packets logged per second at most (default 10; 0: none)' },
  ],
  async run(args, { io }) {
    const mode = args.string('mode');
    if (!MODES.includes(mode as (typeof MODES)[number])) throw new UsageError(`--mode expects ${MODES.join(', ')}, got '${mode}'`);
    if (mode === 'monitor') {
      const device = args.string('interface');
      if (!device) throw new UsageError('--mode monitor needs --interface IF');
      return runMonitor({
        interface: device,
        stateFiles: args.strings('state'),
        verdictsFile: args.string('verdicts'),
        flowLogFile: args.string('flow-log'),
        io,
      });
    }
    const queueNum = args.integer('queue') ?? 0;
    if (queueNum < 0 || queueNum > 65535) throw new UsageError(`--queue expects 0–65535, got ${queueNum}`);
    const maxLen = args.integer('queue-maxlen') ?? 0;
    if (maxLen < 0) throw new UsageError(`--queue-maxlen expects a positive number, got ${maxLen}`);
    const failOpen = args.boolean('fail-open');
    const level = args.string('log-level') ?? 'info';
    if (!isLogLevel(level)) throw new UsageError(`--log-level expects ${LOG_LEVELS.join(', ')}, got '${level}'`);
    const dropRate = args.integer('drop-log-rate') ?? 10;
    if (dropRate < 0) throw new UsageError(`--drop-log-rate expects a number ≥ 0, got ${dropRate}`);
    const metricsText = args.string('metrics');
    let metricsAt: ListenAddress | null = null;
    if (metricsText !== undefined) {
      metricsAt = parseListenAddress(metricsText);
      if (!metricsAt) throw new UsageError(`--metrics expects HOST:PORT or PORT, got '${metricsText}'`);
    }
    const stateFiles = args.strings('state');
    const log = createLogger(level);

    let service: SecurityGroupService = await serviceFromStateFiles(stateFiles);
    const model = new ReplaceableModel(service);
    const dataplane = new Dataplane(model);
    let unsubscribe = service.onChange((change) => dataplane.applyModel(change));
    const reloader = new StateReloader(stateFiles, model, dataplane, log);
    const verdictsFile = args.string('verdicts');
    const verdicts: WriteStream | null = verdictsFile ? createWriteStream(verdictsFile) : null;
    const sampler = new DropSampler(dropRate);
    const enforcer = new HostEnforcer(dataplane, verdicts, undefined, { sampler, logger: log });

    let reader: NfqueueReader | null = null;
    let metrics: MetricsServer | null = null;
    try {
      // The queue is bound before the rules exist, so no packet meets a queue with no reader.
      reader = new NfqueueReader({ queueNum, maxLen, failOpen }, enforcer.onBatch);
      const queue = reader;
      if (metricsAt) {
        const render = (): string =>
          renderExposition(
            hostMetricFamilies({
              dataplane,
              enforcer,
              queue: () => queue.stats(),
              reloads: reloader,
              dropLogsSuppressed: () => sampler.suppressedTotal,
            }),
          );
        metrics = await startMetricsServer(metricsAt, render);
      }
      reader.start();
      await installQueueRules({ queueNum, failOpen });
    } catch (e) {
      unsubscribe();
      reader?.close();
      await metrics?.close();
      verdicts?.end();
      if (!(e instanceof NfqueueError || e instanceof QueueRuleError || e instanceof MetricsServerError)) throw e;
      log.fatal({ event: 'start-failed' }, e.message);
      io.stderr.write(`sgfw run: ${e.message}\n`);
      return ExitCode.failed;
    }
    const queue = reader;
    // Sockets open and rules in: from here on only iptables (to remove the rules) needs privilege.
    try {
      const caps = dropCapabilities();
      log.info({ event: 'capabilities-dropped', ...caps }, caps.dropped ? 'kept only CAP_NET_ADMIN and CAP_NET_RAW' : 'not root: no capabilities to drop');
    } catch (e) {
      if (!(e instanceof CapabilityError)) throw e;
      // Enforcement goes on: the drop hardens the process, the rules are what protect the host.
      log.error({ event: 'capabilities-drop-failed' }, e.message);
    }
    const interfaces = [...service.interfaces()].map((i) => i.interfaceId);
    log.info(
      { event: 'start', mode, queue: queueNum, failOpen, interfaces, modelVersion: dataplane.modelVersion, metrics: metrics?.address ?? null },
      'host mode enforcing',
    );
    // Once a second: a new drop-log budget, and one line for what the last second did not log.
    const ticker = setInterval(() => {
      const suppressed = sampler.tick();
      if (suppressed > 0) log.info({ event: 'drops-suppressed', count: suppressed }, `${suppressed} more dropped packets not logged`);
    }, 1000);
    ticker.unref();

    // Handlers go in before the ready line: a signal sent on seeing it must find them. They stay
    // until the rules are gone, so a second signal during the clean-up cannot cut it short.
    let requestStop: (name: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => (requestStop = resolve));
    const stop = (name: string): void => requestStop(name);
    const hup = (): void => {
      log.info({ event: 'sighup', files: stateFiles }, 'SIGHUP: reloading state');
      void reloader.reload().then((next) => {
        if (!next) return;
        // Later changes to the new service (none come in host mode yet) reach the Dataplane too.
        unsubscribe();
        service = next;
        unsubscribe = service.onChange((change) => dataplane.applyModel(change));
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', hup);
    io.stderr.write(
      `sgfw run: host mode on NFQUEUE ${queueNum}, ${interfaces.length} managed interfaces, ` +
        `fail ${failOpen ? 'open' : 'closed'}${metrics ? `, metrics on ${metrics.address.host}:${metrics.address.port}` : ''}; ` +
        'SIGINT/SIGTERM to stop, SIGHUP to reload\n',
    );
    const signal = await stopped;
    clearInterval(ticker);
    // Rules first: packets stop being queued before the reader goes away.
    await removeQueueRules();
    queue.close();
    unsubscribe();
    await metrics?.close();
    if (verdicts) await new Promise<void>((resolve) => verdicts.end(resolve));
    const s = queue.stats();
    log.info(
      {
        event: 'stop',
        signal,
        packets: enforcer.packets,
        allowed: enforcer.allowed,
        dropped: enforcer.dropped,
        queue: s,
        failedBatches: enforcer.failedBatches,
        lastError: enforcer.lastError?.message ?? null,
        reloads: reloader.reloads,
        reloadFailures: reloader.failures,
      },
      'stopped; queue rules removed',
    );
    io.stderr.write(
      `sgfw run: ${signal}: rules removed; packets ${enforcer.packets} allowed ${enforcer.allowed} dropped ${enforcer.dropped}` +
        (s.enobufs ? ` overruns ${s.enobufs}` : '') +
        (enforcer.failedBatches ? ` failed batches ${enforcer.failedBatches} (${enforcer.lastError?.message})` : '') +
        '\n',
    );
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', hup);
    return ExitCode.ok;
  },
};
