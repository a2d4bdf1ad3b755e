// What crosses between a live mode's main thread (the control plane: state files, the API, SIGHUP)
// and its worker threads, each of which captures a share of the traffic (host mode: one NFQUEUE
// queue of a balanced range; inline: its sockets of a PACKET_FANOUT group per interface) and judges
// it with its own Dataplane over a mirror of the model (dataplane/model-mirror.ts). The mode's own
// part rides along: its start-up settings in the init, its counters in `stats`.
import type { MessagePort } from 'node:worker_threads';
import type { ThreadScheduling } from '../capture/realtime-thread.js';
import type { ModelDelta, ModelImage } from '../dataplane/model-mirror.js';
import type { ThreadPauseStats } from '../observe/thread-pauses.js';
import type { WorkerFailure } from './worker-errors.js';
import type { WorkerScrape } from './worker-metrics.js';
import type { WorkerOutputBatch } from './worker-output.js';

/** What a worker sends the main thread per packet, in batches (worker-output.ts). */
export interface LiveWorkerOutputs {
  verdicts: boolean;
  flows: boolean;
  /** drop lines per second this worker may send at most (0: none) */
  dropRate: number;
}

/** No per-packet outputs: the default. */
export const NO_OUTPUTS: LiveWorkerOutputs = { verdicts: false, flows: false, dropRate: 0 };

/** What every live worker starts with; a mode's init adds its own fields. */
export interface LiveWorkerInit {
  image: ModelImage;
  conntrackCapacity?: number;
  /** this worker's index in `versions` */
  index: number;
  /** over a SharedArrayBuffer: each worker's model version in force, written after every change */
  versions: Int32Array;
  outputs: LiveWorkerOutputs;
  /** a port to each other worker (when the mode asked for them: see LiveWorkerSpec.peers), else none */
  peers: MessagePort[];
  /** `--realtime-workers`: the SCHED_FIFO priority the worker's thread takes as it starts; null: the normal class */
  realtime: number | null;
}

/** What every live worker's counters include; a mode's stats add its own. */
export interface LiveWorkerStats {
  /** what held the worker's loop besides packets since it started judging (observe/thread-pauses.ts; control messages since its start) */
  pauses: ThreadPauseStats;
}

/** main → worker. A change carries a generation; the worker acks it once in force. */
export type ToLiveWorker =
  /**
   * open the capture and start judging; `after` is what the worker before it said when it started
   * (workers start one at a time, in index order), undefined for the first
   */
  | { kind: 'start'; after: unknown }
  | { kind: 'delta'; generation: number; delta: ModelDelta }
  /** the model replaced whole (a reload): rebuild everything */
  | { kind: 'image'; generation: number; image: ModelImage }
  /**
   * the questions about what a worker runs carry `skippedVersion`: the model version of the last
   * change not sent (it touched nothing a worker holds; -1: none), whose version the worker's
   * mirror then has, every change sent before this message being applied (worker-pool.ts)
   */
  | { kind: 'stats'; skippedVersion: number }
  /** a scrape: the worker's metric families, now */
  | { kind: 'metrics'; skippedVersion: number }
  | { kind: 'close'; skippedVersion: number };

/** worker → main */
export type FromLiveWorker<Stats> =
  /** the Dataplane is built: it may be started (`thread`: its id and class; null when the sched addon is not built) */
  | { kind: 'prepared'; thread: ThreadScheduling | null }
  /** the capture is open and read (`started`: what the next worker's start gets) */
  | { kind: 'ready'; started: unknown }
  | { kind: 'ack'; generation: number }
  | { kind: 'stats'; stats: Stats }
  | { kind: 'metrics'; scrape: WorkerScrape }
  /** per-packet outputs (verdict lines, flow observations, drop lines), in batches */
  | { kind: 'output'; batch: WorkerOutputBatch }
  /** the capture is closed; `stats`: its counters then (null: it never opened) */
  | { kind: 'closed'; stats: Stats | null }
  | { kind: 'error'; failure: WorkerFailure };
