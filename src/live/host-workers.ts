// Host mode on N worker threads (`sgfw run --mode host --workers N`): the live worker pool
// (worker-pool.ts: the model followed by every worker, an API call answered once in force on all)
// with one NFQUEUE queue per worker (`--queue-balance`), worker i reading queue `queueBase + i`.
import type { ThreadScheduling } from '../capture/realtime-thread.js';
import type { ModelChange } from '../dataplane/dataplane.js';
import { workerScript } from '../dataplane/worker-script.js';
import type { ModelView } from '../model/model-view.js';
import type { BridgePorts, HostWorkerInit, HostWorkerStats } from './host-worker-protocol.js';
import { addPauses, noPauses } from '../observe/thread-pauses.js';
import type { WorkerScrape } from './worker-metrics.js';
import type { WorkerOutputBatch } from './worker-output.js';
import { LiveWorkers } from './worker-pool.js';
import type { LiveWorkerOutputs } from './worker-protocol.js';

export interface HostWorkersOptions {
  /** the first queue of the range; worker i reads queue `queueBase + i` */
  queueBase: number;
  workers: number;
  maxLen: number;
  failOpen: boolean;
  /** per-packet outputs the workers send (default none); they arrive at `onOutput` */
  outputs?: LiveWorkerOutputs;
  /** `--realtime-workers`: the workers' SCHED_FIFO priority (default: the normal class) */
  realtime?: number;
  /** inline mode through the kernel bridge: the bridge's ports, to count packets by side */
  bridge?: BridgePorts;
}

export class HostWorkers {
  private constructor(private readonly pool: LiveWorkers<HostWorkerInit, HostWorkerStats>) {}

  /**
   * Starts the workers on the model as it is now; changes may be sent at once (a worker takes them
   * once started). `ready()` says when every queue is bound.
   */
  static spawn(view: ModelView, o: HostWorkersOptions): HostWorkers {
    return new HostWorkers(
      LiveWorkers.spawn<HostWorkerInit, HostWorkerStats>(view, {
        script: workerScript(import.meta.url, 'host-worker.js'),
        workers: o.workers,
        init: (i) => ({ queueNum: o.queueBase + i, maxLen: o.maxLen, failOpen: o.failOpen, ...(o.bridge ? { bridge: o.bridge } : {}) }),
        // an ICMP error about another worker's flow is asked about over these (related-relay.ts)
        peers: true,
        ...(o.outputs ? { outputs: o.outputs } : {}),
        ...(o.realtime !== undefined ? { realtime: o.realtime } : {}),
      }),
    );
  }

  /** Resolves once every worker has bound its queue; rejects (and stops them all) if one cannot. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** each worker's thread id and scheduling class (null: the sched addon is not built), once ready */
  get threads(): (ThreadScheduling | null)[] {
    return this.pool.threads;
  }

  /** each worker's batches of per-packet outputs, in the order each worker sent them */
  set onOutput(f: ((batch: WorkerOutputBatch) => void) | null) {
    this.pool.onOutput = f;
  }

  /** Every worker's metric families, asked now (a worker busy too long: as it last answered). */
  scrape(): Promise<WorkerScrape[]> {
    return this.pool.scrape();
  }

  /** told once when a worker dies or errs: its queue is no longer read (the caller stops, failing closed) */
  set onFailure(f: ((e: Error) => void) | null) {
    this.pool.onFailure = f;
  }

  /** The model version in force on each worker now (-1: not started), read without asking them. */
  workerVersions(): number[] {
    return this.pool.workerVersions();
  }

  /** Sends a change (the main Dataplane's `applyModel` argument; none: the model replaced whole) to every worker. */
  apply(change?: ModelChange): void {
    this.pool.apply(change);
  }

  /** Resolves once every worker has the changes sent so far in force; rejects if a worker died. */
  inForce(): Promise<void> {
    return this.pool.inForce();
  }

  /** Closes every worker's queue, then the workers. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** The workers' counters, summed (queue counters too; the lowest model version), and each worker's. */
  async stats(): Promise<HostWorkerStats & { perWorker: number[]; each: HostWorkerStats[] }> {
    const all = await this.pool.stats();
    const sum: HostWorkerStats = { packets: 0, allowed: 0, dropped: 0, failedBatches: 0, lastError: null, conntrackEntries: 0, modelVersion: Infinity, queue: { received: 0, batches: 0, enobufs: 0, verdictErrors: 0, overflows: 0, gsoPackets: 0, headersOnly: 0, gsoQueues: 0 }, related: { deferred: 0, handedOver: 0, timeouts: 0, overflows: 0 }, pauses: noPauses() };
    for (const s of all) {
      sum.packets += s.packets;
      sum.allowed += s.allowed;
      sum.dropped += s.dropped;
      sum.failedBatches += s.failedBatches;
      sum.lastError ??= s.lastError;
      sum.conntrackEntries += s.conntrackEntries;
      sum.modelVersion = Math.min(sum.modelVersion, s.modelVersion);
      for (const k of Object.keys(sum.queue) as (keyof HostWorkerStats['queue'])[]) sum.queue[k] += s.queue[k];
      for (const k of Object.keys(sum.related) as (keyof HostWorkerStats['related'])[]) sum.related[k] += s.related[k];
      addPauses(sum.pauses, s.pauses);
    }
    const bySide = all.flatMap((s) => (s.sides ? [s.sides] : []));
    if (bySide.length > 0) {
      const add = (k: 'received' | 'forwarded' | 'dropped' | 'neighbourDiscovery' | 'offloaded'): number[] => [0, 1].map((side) => bySide.reduce((n, s) => n + s[k][side]!, 0));
      sum.sides = {
        received: add('received'), forwarded: add('forwarded'), dropped: add('dropped'), neighbourDiscovery: add('neighbourDiscovery'), offloaded: add('offloaded'),
        failures: bySide.reduce((n, s) => n + s.failures, 0),
      };
    }
    return { ...sum, perWorker: all.map((s) => s.packets), each: all };
  }
}
