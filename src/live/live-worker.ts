// The worker side of a live mode's worker pool (live/worker-pool.ts): builds the worker's Dataplane
// over a mirror of the model, opens the mode's capture when the main thread says start, keeps the
// mirror in step with every change the main thread sends (acked once in force), and answers for
// its counters and the close. A mode's worker entry module (host-worker.ts, inline-worker.ts) gives
// only what opens its capture.
import { parentPort, workerData } from 'node:worker_threads';
import { hugePageMemory } from '../capture/huge-pages.js';
import { guardRealtimeThread, makeThreadRealtime, realtimeGuardStats, threadScheduling } from '../capture/realtime-thread.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { ModelMirror } from '../dataplane/model-mirror.js';
import type { ModelView } from '../model/model-view.js';
import { ThreadPauses } from '../observe/thread-pauses.js';
import { workerFailure } from './worker-errors.js';
import type { WorkerScrape } from './worker-metrics.js';
import type { WorkerOutputBatch } from './worker-output.js';
import type { FromLiveWorker, LiveWorkerInit, LiveWorkerStats, ToLiveWorker } from './worker-protocol.js';

/** A mode's capture, opened on start: its counters and its close. */
export interface LiveWorkerCapture<Stats> {
  /** what the next worker's start gets (the fanout groups to join, …) */
  readonly started?: unknown;
  stats(): Stats;
  /** what a scrape gets (a mode without worker metrics leaves it out) */
  metrics?(): WorkerScrape;
  /** stops the capture and hands over what the last batches produced */
  close(): void;
}

/**
 * Runs this thread as a live worker: `open` opens the capture that feeds `dataplane` (called once,
 * on start, with the init, what the previous worker's start said, where per-packet output batches
 * go: to the main thread, and the model the Dataplane judges by: the worker's mirror).
 */
export function serveLiveWorker<Init extends LiveWorkerInit, Stats extends LiveWorkerStats>(
  open: (dataplane: Dataplane, init: Init, after: unknown, output: (batch: WorkerOutputBatch) => void, view: ModelView) => LiveWorkerCapture<Omit<Stats, 'pauses'>>,
): void {
  const port = parentPort!;
  const init = workerData as Init;
  const send = (m: FromLiveWorker<Stats>): void => port.postMessage(m);
  const failed = (e: unknown): void => {
    send({ kind: 'error', failure: workerFailure(e) });
    port.close();
  };
  try {
    // first, so that the Dataplane's first compile already runs in the class the packets get
    const realtimeTid = init.realtime !== null ? makeThreadRealtime(init.realtime) : null;
    const guarded = (): ReturnType<typeof realtimeGuardStats> => (realtimeTid !== null ? realtimeGuardStats(realtimeTid) : null);
    const mirror = new ModelMirror(init.image);
    const dataplane = new Dataplane(mirror, { conntrackCapacity: init.conntrackCapacity, recordMemory: hugePageMemory });
    const inForce = (): void => void Atomics.store(init.versions, init.index, dataplane.modelVersion);
    inForce();
    const pauses = new ThreadPauses();
    let capture: LiveWorkerCapture<Omit<Stats, 'pauses'>> | null = null;
    port.on('message', (m: ToLiveWorker) => {
      // Messages are handled between batches: a change is in force from the next batch on.
      if ('skippedVersion' in m && m.skippedVersion > dataplane.modelVersion) {
        // changes the main thread did not send (nothing here judges by them) moved the version on
        mirror.skipTo(m.skippedVersion);
        dataplane.modelVersion = mirror.version;
        inForce();
      }
      if (m.kind === 'delta') {
        pauses.control(() => {
          mirror.apply(m.delta);
          dataplane.applyModel(m.delta.change);
        });
        inForce();
        send({ kind: 'ack', generation: m.generation });
      } else if (m.kind === 'image') {
        pauses.control(() => {
          mirror.reset(m.image);
          dataplane.applyModel();
        });
        inForce();
        send({ kind: 'ack', generation: m.generation });
      } else if (m.kind === 'start') {
        // judging from now on under the real-time guard: a worker that stays busy (a flood, V8
        // spinning on its helpers) goes back to the normal class for a while (realtime-thread.ts)
        if (realtimeTid !== null && init.realtime !== null) {
          try {
            guardRealtimeThread(realtimeTid, init.realtime);
          } catch (e) {
            failed(e);
            return;
          }
        }
        pauses.startJudging();
        try {
          capture = open(dataplane, init, m.after, (batch) => send({ kind: 'output', batch }), mirror);
        } catch (e) {
          failed(e);
          return;
        }
        send({ kind: 'ready', started: capture.started });
      } else if (m.kind === 'metrics') {
        send({ kind: 'metrics', scrape: capture?.metrics?.() ?? { families: [], judged: 0, reasonCounts: [] } });
      } else if (m.kind === 'stats') {
        if (capture) send({ kind: 'stats', stats: { ...capture.stats(), pauses: pauses.read(guarded()) } as Stats });
      } else {
        capture?.close();
        // the counters as the capture closed: nothing judged after them (a stop summary reads them);
        // null when the capture cannot say any more (a mode whose counters go with its socket)
        let last: Stats | null = null;
        try {
          if (capture) last = { ...capture.stats(), pauses: pauses.read(guarded()) } as Stats;
        } catch {
          last = null;
        }
        pauses.close();
        send({ kind: 'closed', stats: last });
        port.close();
      }
    });
    send({ kind: 'prepared', thread: threadScheduling() });
  } catch (e) {
    failed(e);
  }
}
