// What crosses between host mode's main thread (the control plane: state files, the API, SIGHUP)
// and its worker threads, each of which reads one NFQUEUE queue of a `--queue-balance` range and
// judges its packets with its own Dataplane over a mirror of the model (dataplane/model-mirror.ts).
import type { ModelDelta, ModelImage } from '../dataplane/model-mirror.js';
import type { ThreadPauseStats } from '../observe/thread-pauses.js';

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
}

/** main → worker. A change carries a generation; the worker acks it once in force. */
export type ToHostWorker =
  | { kind: 'delta'; generation: number; delta: ModelDelta }
  /** the model replaced whole (a reload): rebuild everything */
  | { kind: 'image'; generation: number; image: ModelImage }
  | { kind: 'stats' }
  | { kind: 'close' };

export interface HostWorkerStats {
  packets: number;
  allowed: number;
  dropped: number;
  failedBatches: number;
  conntrackEntries: number;
  modelVersion: number;
  /** NFQUEUE counters of the worker's queue */
  queue: { received: number; batches: number; enobufs: number; verdictErrors: number; overflows: number };
  /** what held the worker's loop besides packets (summed: the longest of any worker) */
  pauses: ThreadPauseStats;
}

/** worker → main */
export type FromHostWorker =
  /** the queue is bound and read: the rules may send packets to it */
  | { kind: 'ready' }
  | { kind: 'ack'; generation: number }
  | ({ kind: 'stats' } & HostWorkerStats)
  | { kind: 'closed' }
  | { kind: 'error'; message: string };
