// What crosses between host mode's main thread (the control plane: state files, the API, SIGHUP)
// and its worker threads, each of which reads one NFQUEUE queue of a `--queue-balance` range and
// judges its packets with its own Dataplane over a mirror of the model (dataplane/model-mirror.ts).
import type { ModelDelta, ModelImage } from '../dataplane/model-mirror.js';
import type { WorkerOutputBatch } from './worker-output.js';
import type { WorkerScrape } from './worker-metrics.js';

export interface HostWorkerInit {
  queueNum: number;
  maxLen: number;
  failOpen: boolean;
  image: ModelImage;
  conntrackCapacity?: number;
  /** this worker's index in `versions` */
  index: number;
  /** over a SharedArrayBuffer: each worker's model version in force, written after every change */
  versions: Int32Array;
  /** what the worker sends the main thread per packet, in batches (worker-output.ts) */
  outputs: { verdicts: boolean; flows: boolean; /** drop lines per second this worker may send at most (0: none) */ dropRate: number };
}

/** main → worker. A change carries a generation; the worker acks it once in force. */
export type ToHostWorker =
  | { kind: 'delta'; generation: number; delta: ModelDelta }
  /** the model replaced whole (a reload): rebuild everything */
  | { kind: 'image'; generation: number; image: ModelImage }
  | { kind: 'stats' }
  /** a scrape: the worker's metric families, now */
  | { kind: 'metrics' }
  | { kind: 'close' };

export interface HostWorkerStats {
  packets: number;
  allowed: number;
  dropped: number;
  failedBatches: number;
  conntrackEntries: number;
  modelVersion: number;
  /** the message of the last batch whose handler threw */
  lastError: string | null;
  /** NFQUEUE counters of the worker's queue */
  queue: { received: number; batches: number; enobufs: number; verdictErrors: number; overflows: number };
}

/** worker → main */
export type FromHostWorker =
  /** the queue is bound and read: the rules may send packets to it */
  | { kind: 'ready' }
  | { kind: 'ack'; generation: number }
  | ({ kind: 'stats' } & HostWorkerStats)
  | ({ kind: 'metrics' } & WorkerScrape)
  | { kind: 'output'; batch: WorkerOutputBatch }
  | { kind: 'closed' }
  | { kind: 'error'; message: string };
