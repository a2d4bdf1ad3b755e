// `sgfw run --mode host`: the host's own traffic, through an NFQUEUE, judged by the same Dataplane
// as `sgfw replay`.
import { createWriteStream, type WriteStream } from 'node:fs';
import { NfqueueReader } from '../capture/nfqueue.js';
import { HostEnforcer } from '../live/host-enforcer.js';
import { hostMetricFamilies, observeRebuilds } from '../live/host-metrics.js';
import { installQueueRules, removeQueueRules } from '../live/queue-rules.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { SgfwMetrics } from '../observe/metrics.js';
import { runStatus } from '../live/run-status.js';
import { ExitCode } from './exit-codes.js';
import { packageVersion } from './version.js';
import { dropLogTicker, dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { RunFlowLog } from './run-flow-log.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import { statusSource } from './run-status-source.js';
import type { RunOptions } from './run-options.js';

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
  const verdicts: WriteStream | null = o.verdictsFile ? createWriteStream(o.verdictsFile) : null;
  const sampler = new DropSampler(o.dropRate);
  const flowLog = RunFlowLog.open(o.flowLog, dataplane, live.view, log, live.api?.service.accountId);
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
    if (o.metricsAt) {
      const registry = new SgfwMetrics({ version: packageVersion() })
        .addFamilies(() =>
          hostMetricFamilies({
            dataplane,
            enforcer,
            queue: () => queue.stats(),
            reloads: live.reloads ?? undefined,
            dropLogsSuppressed: () => sampler.suppressedTotal,
          }),
        )
        .addFamilies(() => live.metricFamilies());
      observeRebuilds(registry, dataplane);
      const render = (): Promise<string> => registry.render();
      metrics = await startMetricsServer(o.metricsAt, render, { status: () => runStatus(statusSource(live, 'host', startedAt)), ready: () => enforcing });
    }
    reader.start();
    await installQueueRules({ queueNum, failOpen });
    enforcing = true;
  } catch (e) {
    reader?.close();
    await metrics?.close();
    verdicts?.end();
    flowLog?.close();
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

  const signals = stopSignals(() => {
    flowLog?.reopen();
    return live.hangup();
  }, systemd);
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
  if (verdicts) await new Promise<void>((resolve) => verdicts.end(resolve));
  flowLog?.close();
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
