// Monitor mode on N worker threads (`sgfw run --mode monitor --workers N`): the live worker pool
// (worker-pool.ts: the model followed by every worker, an API call answered once in force on all)
// with a monitor per worker on its own AF_PACKET socket, one PACKET_FANOUT group on the interface
// (monitor-worker.ts), and the workers' counters added up into the summary one thread prints.
import { REASON_NAMES } from '../dataplane/verdict.js';
import { workerScript } from '../dataplane/worker-script.js';
import type { ModelView } from '../model/model-view.js';
import type { MonitorSummary } from './monitor.js';
import type { MonitorWorkerInit, MonitorWorkerStats } from './monitor-worker-protocol.js';
import { LiveWorkers } from './worker-pool.js';
import type { LiveWorkerOutputs } from './worker-protocol.js';

export type MonitorWorkers = LiveWorkers<MonitorWorkerInit, MonitorWorkerStats>;

/** Starts `workers` monitors on `device` on the model as it is now; `ready()` says when all capture. Outputs arrive at the pool's `onOutput`; `realtime`: as for inline. */
export function spawnMonitorWorkers(view: ModelView, device: string, workers: number, outputs?: LiveWorkerOutputs, realtime?: number): MonitorWorkers {
  return LiveWorkers.spawn<MonitorWorkerInit, MonitorWorkerStats>(view, {
    script: workerScript(import.meta.url, 'monitor-worker.js'),
    workers,
    init: () => ({ device }),
    ...(outputs ? { outputs } : {}),
    ...(realtime !== undefined ? { realtime } : {}),
  });
}

/**
 * The summary one monitor thread would print, from each worker's counters: frames, verdicts by
 * reason and by interface (in the model's order; `view`), flows and the kernel's drops, summed.
 */
export function sumMonitorStats(device: string, all: readonly MonitorWorkerStats[], view: ModelView): MonitorSummary {
  const add = (pick: (s: MonitorWorkerStats) => number): number => all.reduce((n, s) => n + pick(s), 0);
  // in the order of the reasons, as one Dataplane's counters list them
  const byReason: Record<string, number> = {};
  for (const reason of REASON_NAMES) {
    const n = add((s) => s.byReason[reason] ?? 0);
    if (n > 0) byReason[reason] = n;
  }
  const byInterface = new Map<string, { allowed: number; dropped: number }>();
  for (const s of all) {
    for (const i of s.interfaces) {
      const sum = byInterface.get(i.interfaceId) ?? { allowed: 0, dropped: 0 };
      sum.allowed += i.allowed;
      sum.dropped += i.dropped;
      byInterface.set(i.interfaceId, sum);
    }
  }
  const interfaces: MonitorSummary['interfaces'] = [];
  for (const eni of view.interfaces()) {
    const sum = byInterface.get(eni.interfaceId);
    if (sum) interfaces.push({ interfaceId: eni.interfaceId, ...sum });
  }
  return {
    interface: device,
    capture: 'afpacket',
    frames: add((s) => s.frames),
    allowed: add((s) => s.allowed),
    dropped: add((s) => s.dropped),
    byReason,
    interfaces,
    truncated: add((s) => s.truncated),
    captureDrops: add((s) => s.capture.drops),
    conntrackEntries: add((s) => s.conntrackEntries),
  };
}
