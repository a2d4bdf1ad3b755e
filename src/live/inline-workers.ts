// Inline mode on N worker threads (`sgfw run --mode inline --workers N`): the live worker pool
// (worker-pool.ts: the model followed by every worker, an API call answered once in force on all)
// with an inline bridge per worker on its own AF_PACKET sockets, one PACKET_FANOUT group per
// interface (inline-worker.ts), and the workers' counters added up.
import { workerScript } from '../dataplane/worker-script.js';
import type { ModelView } from '../model/model-view.js';
import { addPauses, noPauses } from '../observe/thread-pauses.js';
import type { InlineWorkerInit, InlineWorkerStats } from './inline-worker-protocol.js';
import { LiveWorkers } from './worker-pool.js';
import type { LiveWorkerOutputs } from './worker-protocol.js';

export type InlineWorkers = LiveWorkers<InlineWorkerInit, InlineWorkerStats>;

/**
 * Starts `workers` bridges between `devices` (by Side) on the model as it is now; `ready()` says when
 * all are open. Per-packet outputs (`outputs`) arrive at the pool's `onOutput`. `realtime`: the
 * workers' SCHED_FIFO priority (--realtime-workers).
 */
export function spawnInlineWorkers(view: ModelView, devices: [string, string], workers: number, outputs?: LiveWorkerOutputs, realtime?: number): InlineWorkers {
  return LiveWorkers.spawn<InlineWorkerInit, InlineWorkerStats>(view, {
    script: workerScript(import.meta.url, 'inline-worker.js'),
    workers,
    init: () => ({ devices }),
    ...(outputs ? { outputs } : {}),
    ...(realtime !== undefined ? { realtime } : {}),
  });
}

/** The workers' counters added up (per Side where they are by Side; the lowest model version; the last error of any). */
export function sumInlineStats(all: readonly InlineWorkerStats[]): InlineWorkerStats {
  const sides = (pick: (s: InlineWorkerStats) => number[]): number[] => [0, 1].map((side) => all.reduce((n, s) => n + pick(s)[side]!, 0));
  const capture = (side: number) => {
    const each = all.map((s) => s.captures[side]!);
    const add = (k: 'packets' | 'drops' | 'freezes' | 'batches' | 'frames' | 'skipped' | 'sent' | 'sendErrors'): number => each.reduce((n, c) => n + c[k], 0);
    return {
      packets: add('packets'), drops: add('drops'), freezes: add('freezes'), batches: add('batches'), frames: add('frames'),
      skipped: add('skipped'), sent: add('sent'), sendErrors: add('sendErrors'),
      lastSendError: each.find((c) => c.lastSendError !== null)?.lastSendError ?? null,
    };
  };
  return {
    frames: all.reduce((n, s) => n + s.frames, 0),
    received: sides((s) => s.received),
    forwarded: sides((s) => s.forwarded),
    dropped: sides((s) => s.dropped),
    truncated: sides((s) => s.truncated),
    offloaded: sides((s) => s.offloaded),
    offloadedSegments: sides((s) => s.offloadedSegments),
    neighbourDiscovery: sides((s) => s.neighbourDiscovery),
    injectErrors: sides((s) => s.injectErrors),
    failures: all.reduce((n, s) => n + s.failures, 0),
    lastError: all.find((s) => s.lastError !== null)?.lastError ?? null,
    conntrackEntries: all.reduce((n, s) => n + s.conntrackEntries, 0),
    modelVersion: Math.min(...all.map((s) => s.modelVersion)),
    captures: [capture(0), capture(1)],
    pauses: all.reduce((sum, s) => (addPauses(sum, s.pauses), sum), noPauses()),
  };
}
