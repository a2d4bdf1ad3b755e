// `sgfw run --mode host --workers N` (N > 1): the packets through N NFQUEUE queues (--queue-balance
// from --queue on), each read and judged by a worker thread (live/host-workers.ts); this thread
// keeps the model (state files and SIGHUP, or the API), and an API call answers once its change is
// in force on every worker. Per-packet outputs (--verdicts, --flow-log) and --metrics are not yet
// aggregated across workers: run.ts refuses them with --workers > 1.
import { HostWorkers } from '../live/host-workers.js';
import { installQueueRules, removeQueueRules } from '../live/queue-rules.js';
import { ExitCode } from './exit-codes.js';
import type { HostFlags } from './run-host.js';
import { dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { openLiveModel, type LiveModel } from './run-model.js';
import type { RunOptions } from './run-options.js';
import { serviceNotify } from './service-notify.js';

export async function runHostWorkers(o: RunOptions, h: HostFlags, workers: number): Promise<number> {
  const { log } = o;
  const { queueNum, maxLen, failOpen } = h;
  if (queueNum + workers - 1 > 65535) return startFailed(new Error(`--queue ${queueNum} with --workers ${workers} runs past queue 65535`), o);
  const systemd = serviceNotify((line) => log.warn({ event: 'systemd-notify' }, line));
  let live: LiveModel;
  try {
    live = await openLiveModel({ stateFiles: o.stateFiles, api: o.api, fleet: o.fleet, log });
  } catch (e) {
    return startFailed(e, o);
  }
  const { dataplane } = live;
  let pool: HostWorkers | null = null;
  try {
    // Spawned on the model as it is, and following every change the main Dataplane applies from now on.
    pool = HostWorkers.spawn(live.view, { queueBase: queueNum, workers, maxLen, failOpen });
    const following = pool;
    dataplane.onApplied = (change) => following.apply(change);
    live.setInForce?.(() => following.inForce());
    await pool.ready();
    await installQueueRules({ queueNum, queues: workers, failOpen });
  } catch (e) {
    dataplane.onApplied = null;
    await pool?.close().catch(() => undefined);
    await live.close();
    return startFailed(e, o);
  }
  const running = pool;
  running.onFailure = (e) => {
    // A queue nobody reads: exit as a crash does, leaving the rules, so the host fails closed (or
    // open with --fail-open) until sgfw runs again; a supervisor restarts it.
    log.fatal({ event: 'worker-failed', error: e.message }, `a worker thread failed, stopping with the rules left in: ${e.message}`);
    process.exit(ExitCode.failed);
  };
  dropPrivileges(o);
  const interfaces = [...live.view.interfaces()].map((i) => i.interfaceId);
  const queues = `${queueNum}:${queueNum + workers - 1}`;
  log.info(
    { event: 'start', mode: 'host', queues, workers, failOpen, interfaces, modelVersion: dataplane.modelVersion, api: live.api?.address ?? null },
    'host mode enforcing',
  );
  const signals = stopSignals(() => live.hangup(), systemd);
  log.info(
    { event: 'ready', mode: 'host' },
    `host mode on NFQUEUE ${queues} (${workers} workers), ${interfaces.length} managed interfaces, ` +
      `fail ${failOpen ? 'open' : 'closed'}${live.readyNote}; SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`host mode on NFQUEUE ${queues}, ${workers} workers, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  running.onFailure = null;
  await removeQueueRules();
  const s = await running.stats();
  dataplane.onApplied = null;
  await running.close();
  await live.close();
  log.info(
    { event: 'stop', signal, workers, perWorker: s.perWorker, packets: s.packets, allowed: s.allowed, dropped: s.dropped, queue: s.queue, failedBatches: s.failedBatches, workerPauses: s.pauses },
    `${signal}: rules removed; packets ${s.packets} allowed ${s.allowed} dropped ${s.dropped} (${workers} workers)` +
      (s.queue.enobufs ? ` overruns ${s.queue.enobufs}` : ''),
  );
  signals.release();
  return ExitCode.ok;
}
