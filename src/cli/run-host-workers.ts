// `sgfw run --mode host --workers N` (N > 1; the default is the cores available): the packets
// through N NFQUEUE queues (--queue-balance from --queue on), each read and judged by a worker
// thread (live/host-workers.ts); this thread keeps the model (state files and SIGHUP, the API, a
// fleet agent or an EC2 account), and a change answers (the API) once it is in force on every
// worker. Per-packet outputs (--verdicts, --flow-log, drop lines) come from the workers in batches
// and are written here as one output (live/worker-output.ts); --metrics asks every worker at scrape
// time and serves the sums under the names one thread uses (live/worker-metrics.ts).
import { HostWorkers } from '../live/host-workers.js';
import { installQueueRules, removeQueueRules } from '../live/queue-rules.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { ExitCode } from './exit-codes.js';
import type { HostFlags } from './run-host.js';
import { dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';
import { exitOnWorkerFailure, WorkersRun } from './run-workers.js';

export async function runHostWorkers(o: RunOptions, h: HostFlags, workers: number): Promise<number> {
  const { log } = o;
  const { queueNum, maxLen, failOpen } = h;
  const started = await startRun(o, 'enforcing');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  const { dataplane } = live;
  const outputs = WorkersRun.open(o, live);
  let running: HostWorkers;
  let metrics: MetricsServer | null;
  try {
    ({ pool: running, metrics } = await outputs.start(
      () => HostWorkers.spawn(live.view, { queueBase: queueNum, workers, maxLen, failOpen, outputs: outputs.spec, ...(outputs.realtime !== undefined ? { realtime: outputs.realtime } : {}) }),
      'host',
      () => installQueueRules({ queueNum, queues: workers, failOpen }),
    ));
  } catch (e) {
    return startFailed(e, o);
  }
  // A queue nobody reads: exit as a crash does, leaving the rules, so the host fails closed (or
  // open with --fail-open) until sgfw runs again.
  running.onFailure = exitOnWorkerFailure(o, 'stopping with the rules left in');
  dropPrivileges(o);
  const interfaces = managedInterfaces(live);
  const queues = `${queueNum}:${queueNum + workers - 1}`;
  log.info(
    {
      event: 'start', mode: 'host', queue: queueNum, queues, workers, failOpen, interfaces, modelVersion: dataplane.modelVersion,
      metrics: metrics?.address ?? null, ...modelSourceFields(live),
    },
    'host mode enforcing',
  );
  outputs.startTicker();
  const signals = stopSignals(() => outputs.hangup(), systemd);
  log.info(
    { event: 'ready', mode: 'host' },
    `host mode on NFQUEUE ${queues} (${workers} workers), ${interfaces.length} managed interfaces, ` +
      `fail ${failOpen ? 'open' : 'closed'}${metricsNote(metrics)}` +
      `${live.readyNote}; SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`host mode on NFQUEUE ${queues}, ${workers} workers, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  running.onFailure = null;
  // Rules first: packets stop being queued before the workers go away.
  await removeQueueRules();
  const s = await running.stats();
  outputs.detach();
  // Each worker sends its last outputs before it says it closed: the files below get them all.
  await running.close();
  await live.close();
  await outputs.close();
  log.info(
    {
      event: 'stop', signal, workers, perWorker: s.perWorker, packets: s.packets, allowed: s.allowed, dropped: s.dropped, queue: s.queue, related: s.related,
      failedBatches: s.failedBatches, lastError: s.lastError, reloads: live.reloads?.reloads ?? 0, reloadFailures: live.reloads?.failures ?? 0, workerPauses: s.pauses,
    },
    `${signal}: rules removed; packets ${s.packets} allowed ${s.allowed} dropped ${s.dropped} (${workers} workers)` +
      (s.queue.enobufs ? ` overruns ${s.queue.enobufs}` : '') +
      (s.failedBatches ? ` failed batches ${s.failedBatches} (${s.lastError})` : ''),
  );
  signals.release();
  return ExitCode.ok;
}
