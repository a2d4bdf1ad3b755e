// What crosses between `sgfw replay --workers N`'s main thread and its workers. The workers are
// started before the main thread loads the state (their start-up overlaps it) and get the model in
// a `start` message once it is loaded. Every worker reads every frame of the captures (counting
// them as one replay does) and judges the frames of its shard (dataplane/flow-shard.ts); the main
// thread keeps the control plane, applies the timeline, and writes the outputs in frame order from
// the workers' batches.
import type { ModelDelta, ModelImage } from '../dataplane/model-mirror.js';
import type { FlowObservation } from '../observe/flow-log.js';

/** The worker's `workerData`: what it is told as it starts, before the state is loaded. */
export interface ShardSpawn {
  shard: number;
  shards: number;
  captures: readonly string[];
  /** the main thread's performance.timeOrigin: the worker's times are counted from it */
  origin: number;
}

/** main → worker, first and once: the model and what the replay writes (see ShardStart's users). */
export interface ShardStart {
  kind: 'start';
  image: ModelImage;
  conntrackCapacity?: number;
  /** the frame before which each timeline entry applies, in order */
  timelineFrames: readonly number[];
  /** send each judged frame's reason (and what follows) to the main thread, which writes outputs */
  perFrame: boolean;
  verdictLines: boolean;
  flowObservations: boolean;
}

/** main → worker: the answer to `need` for timeline entry `entry`, sent to every worker in order */
export type ToShard =
  | ShardStart
  | { kind: 'changes'; entry: number; deltas: ModelDelta[] }
  /** the entry failed: judge no frame from its frame on */
  | { kind: 'stop'; entry: number };

/** The judged frames of one worker since its last batch, in frame order. */
export interface ShardBatch {
  kind: 'batch';
  frames: Int32Array;
  reasons: Uint8Array;
  lines: string[] | null;
  /** observations per frame (0, 1 or 2), then all of them in order */
  flowCounts: Uint8Array | null;
  flows: FlowObservation[] | null;
}

export interface ShardDone {
  kind: 'done';
  /** the last frame the worker read (judged or not) */
  lastFrame: number;
  reasonCounts: Float64Array;
  interfaces: { interfaceId: string; allowed: number; dropped: number }[];
  conntrackEntries: number;
  conntrackFull: number;
  /** frames this worker judged */
  judged: number;
  /** CPU time of this worker's thread, ms (Linux: /proc/thread-self/schedstat; -1 where unknown) */
  cpuMs: number;
  /** of which: its start (thread, modules) until the model came */
  startCpuMs: number;
  /** building its Dataplane over the model (its rule compile, its table) */
  buildCpuMs: number;
  /** its loop over the frames (reading, sharding, judging) */
  loopCpuMs: number;
  /** when it began judging (its model in, its rules compiled), ms after the process started */
  readyMs: number;
  /** when it was done judging, ms after the process started */
  doneMs: number;
}

/** worker → main */
export type FromShard =
  | ShardBatch
  | ShardDone
  /** the worker reached timeline entry `entry`'s frame: it waits for its changes */
  | { kind: 'need'; entry: number }
  | { kind: 'progress'; frame: number }
  | { kind: 'error'; message: string; captureFile?: string; captureReason?: string };
