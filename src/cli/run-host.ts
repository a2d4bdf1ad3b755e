// `sgfw run --mode host`: the host's own traffic, through an NFQUEUE, judged by the same Dataplane
// as `sgfw replay`.
import { NfqueueReader } from '../capture/nfqueue.js';
import { HostEnforcer } from '../live/host-enforcer.js';
import { hostMetricFamilies } from '../live/host-metrics.js';
import { installQueueRules, removeQueueRules } from '../live/queue-rules.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { ExitCode } from './exit-codes.js';
import { dropLogTicker, dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';
import { ThreadRun } from './run-thread.js';

export interface HostFlags {
  queueNum: number;
  maxLen: number;
  failOpen: boolean;
}

export async function runHost(o: RunOptions, h: HostFlags): Promise<number> {
  const { log } = o;
  const { queueNum, maxLen, failOpen } = h;
  const started = await startRun(o, 'enforcing');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  const { dataplane } = live;
  const outputs = ThreadRun.open(o, live);
  const { verdicts, sampler, flowLog } = outputs;
  const enforcer = new HostEnforcer(dataplane, verdicts, undefined, { sampler, logger: log }, flowLog);

  let reader: NfqueueReader | null = null;
  let metrics: MetricsServer | null = null;
  const startedAt = Date.now();
  /** the rules are in: /readyz says so */
  let enforcing = false;
  try {
    // The queue is bound before the rules exist, so no packet meets a queue with no reader.
    reader = new NfqueueReader({ queueNum, maxLen, failOpen }, enforcer.onBatch);
    const queue = reader;
    metrics = await outputs.serveMetrics(
      'host',
      startedAt,
      () => hostMetricFamilies({ dataplane, enforcer, queue: () => queue.stats(), reloads: live.reloads ?? undefined, dropLogsSuppressed: () => sampler.suppressedTotal }),
      () => enforcing,
    );
    reader.start();
    await installQueueRules({ queueNum, failOpen });
    enforcing = true;
  } catch (e) {
    reader?.close();
    await metrics?.close();
    outputs.abandon();
    await live.close();
    return startFailed(e, o);
  }
  const queue = reader;
  // Sockets open and rules in: from here on only iptables (to remove the rules) needs privilege.
  dropPrivileges(o);
  const interfaces = managedInterfaces(live);
  log.info(
    {
      event: 'start', mode: 'host', queue: queueNum, failOpen, interfaces, modelVersion: dataplane.modelVersion,
      conntrackMemory: dataplane.conntrack.memoryKind,
      metrics: metrics?.address ?? null, ...modelSourceFields(live),
    },
    'host mode enforcing',
  );
  const ticker = dropLogTicker(sampler, o);

  const signals = stopSignals(() => outputs.hangup(), systemd);
  // The ready line: a log record like every other line on stderr (tests and supervisors wait for it).
  log.info(
    { event: 'ready', mode: 'host' },
    `host mode on NFQUEUE ${queueNum}, ${interfaces.length} managed interfaces, ` +
      `fail ${failOpen ? 'open' : 'closed'}${metricsNote(metrics)}` +
      `${live.readyNote}; SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`host mode on NFQUEUE ${queueNum}, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  clearInterval(ticker);
  // Rules first: packets stop being queued before the reader goes away.
  await removeQueueRules();
  queue.close();
  await live.close();
  await metrics?.close();
  await outputs.close();
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
      reloads: live.reloads?.reloads ?? 0,
      reloadFailures: live.reloads?.failures ?? 0,
    },
    `${signal}: rules removed; packets ${enforcer.packets} allowed ${enforcer.allowed} dropped ${enforcer.dropped}` +
      (s.enobufs ? ` overruns ${s.enobufs}` : '') +
      (enforcer.failedBatches ? ` failed batches ${enforcer.failedBatches} (${enforcer.lastError?.message})` : ''),
  );
  signals.release();
  return ExitCode.ok;
}
