// A worker thread of `sgfw replay --workers N` (the entry module; started by replay-workers.ts
// before the main thread loads the state). Once the model comes (`start`), it reads every frame of
// the captures, counting them as a one-thread replay does, and judges the frames of its shard with
// its own Dataplane over a mirror of the model; before its first frame at or after a timeline
// entry's, it asks the main thread for that entry's changes and waits for them.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureError } from '../capture/capture-error.js';
import { CaptureReader } from '../capture/capture-reader.js';
import { hugePageMemory } from '../capture/huge-pages.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { flowShard, peekShard } from '../dataplane/flow-shard.js';
import { ModelMirror } from '../dataplane/model-mirror.js';
import { recordFlows } from '../dataplane/verdict-summary.js';
import { isAllowed } from '../dataplane/verdict.js';
import type { FlowObservation } from '../observe/flow-log.js';
import { verdictLine } from '../observe/verdict-line.js';
import { decodeFrame } from '../packet/decode.js';
import { PacketView } from '../packet/packet-view.js';
import { isSupportedLinkType } from '../packet/link-types.js';
import { REASON_WORDS } from './replay-run.js';
import type { FromShard, ShardBatch, ShardDone, ShardSpawn, ShardStart, ToShard } from './shard-protocol.js';

/** Judged frames per batch sent to the main thread. */
const BATCH = 8192;

const port = parentPort!;
const spawn = workerData as ShardSpawn;

const inbox: ToShard[] = [];
let wake: (() => void) | null = null;
port.on('message', (m: ToShard) => {
  inbox.push(m);
  wake?.();
});

async function nextMessage(): Promise<ToShard> {
  while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  wake = null;
  return inbox.shift()!;
}

function send(m: FromShard, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

class Outputs {
  constructor(private readonly init: ShardStart) {}
  private frames = new Int32Array(BATCH);
  private reasons = new Uint8Array(BATCH);
  private lines: string[] = [];
  private flowCounts = new Uint8Array(BATCH);
  private flows: FlowObservation[] = [];
  private count = 0;
  readonly sink = { add: (o: FlowObservation) => this.flows.push(o) };

  add(dataplane: Dataplane, frame: number, reason: number, timeSeconds: number): void {
    const n = this.count++;
    this.frames[n] = frame;
    this.reasons[n] = reason;
    if (this.init.verdictLines) this.lines.push(verdictLine(dataplane, frame, REASON_WORDS[reason]!));
    if (this.init.flowObservations) {
      const before = this.flows.length;
      if (dataplane.lastSourceInterface >= 0 || dataplane.lastDestinationInterface >= 0) recordFlows(dataplane, this.sink, timeSeconds, isAllowed(reason));
      this.flowCounts[n] = this.flows.length - before;
    }
    if (this.count === BATCH) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const n = this.count;
    const batch: ShardBatch = {
      kind: 'batch',
      frames: this.frames.slice(0, n),
      reasons: this.reasons.slice(0, n),
      lines: this.init.verdictLines ? this.lines : null,
      flowCounts: this.init.flowObservations ? this.flowCounts.slice(0, n) : null,
      flows: this.init.flowObservations ? this.flows : null,
    };
    send(batch, [batch.frames.buffer as ArrayBuffer, batch.reasons.buffer as ArrayBuffer]);
    this.lines = [];
    this.flows = [];
    this.count = 0;
  }
}

async function run(): Promise<ShardDone> {
  const init = await nextMessage();
  if (init.kind !== 'start') throw new Error(`replay worker: ${init.kind} before start`);
  const startCpuMs = threadCpuMs();
  const mirror = new ModelMirror(init.image);
  const dataplane = new Dataplane(mirror, { conntrackCapacity: init.conntrackCapacity, recordMemory: hugePageMemory, conntrackResizeAtOnce: true });
  const outputs = init.perFrame ? new Outputs(init) : null;
  const view = new PacketView();
  const { shard, shards } = spawn;
  const { timelineFrames } = init;
  const readyMs = sinceStart();
  const loopFrom = threadCpuMs();
  let frame = 0;
  let next = 0;
  let judged = 0;
  outer: for (const file of spawn.captures) {
    const reader = new CaptureReader(file);
    try {
      let checkedLink = -1;
      while (reader.next()) {
        const upcoming = frame + 1;
        while (next < timelineFrames.length && timelineFrames[next]! <= upcoming) {
          outputs?.flush();
          send({ kind: 'need', entry: next });
          const answer = await nextMessage();
          if (answer.kind === 'stop') break outer;
          if (answer.kind !== 'changes') throw new Error(`replay worker: ${answer.kind} for timeline entry ${next}`);
          for (const delta of answer.deltas) {
            mirror.apply(delta);
            dataplane.applyModel(delta.change);
          }
          next++;
        }
        frame = upcoming;
        if (reader.linkType !== checkedLink) {
          if (!isSupportedLinkType(reader.linkType)) {
            throw new CaptureError(file, `unsupported link type ${reader.linkType} (record ${reader.recordNumber})`);
          }
          checkedLink = reader.linkType;
        }
        let owner = peekShard(reader.linkType, reader.data, reader.offset, reader.caplen, shards);
        if (owner < 0) {
          decodeFrame(reader.linkType, reader.data, reader.offset, reader.caplen, view, reader.origLen);
          owner = flowShard(view, shards);
        }
        if (owner === shard) {
          judged++;
          dataplane.clock[0] = reader.timestampMs;
          const reason = dataplane.judgeNow(reader.linkType, reader.data, reader.offset, reader.caplen, reader.origLen);
          outputs?.add(dataplane, frame, reason, reader.timestampMs / 1000);
        }
        if ((frame & 0xffff) === 0) {
          dataplane.conntrack.sweep(reader.timestampMs, 1 << 14);
          if (shard === 0) send({ kind: 'progress', frame });
        }
      }
    } finally {
      reader.close();
    }
  }
  outputs?.flush();
  const doneMs = sinceStart();
  const loopCpuMs = loopFrom < 0 ? -1 : threadCpuMs() - loopFrom;
  const buildCpuMs = loopFrom < 0 ? -1 : loopFrom - startCpuMs;
  const interfaces: ShardDone['interfaces'] = [];
  for (const eni of mirror.interfaces()) {
    const compiled = dataplane.interfaceById(eni.interfaceId);
    if (!compiled) continue;
    const [allowed, dropped] = dataplane.interfaceCounters(compiled.index);
    interfaces.push({ interfaceId: eni.interfaceId, allowed, dropped });
  }
  return {
    kind: 'done',
    lastFrame: frame,
    reasonCounts: dataplane.reasonCounts,
    interfaces,
    conntrackEntries: dataplane.conntrack.size,
    conntrackFull: dataplane.conntrack.insertFailures,
    judged,
    cpuMs: threadCpuMs(),
    startCpuMs,
    buildCpuMs,
    loopCpuMs,
    readyMs,
    doneMs,
  };
}

/** ms from the process's start (the main thread's time origin) to now */
function sinceStart(): number {
  return Math.round(performance.timeOrigin + performance.now() - spawn.origin);
}

/** This thread's CPU time so far, ms (the scheduler's nanoseconds on the CPU); -1 off Linux. */
function threadCpuMs(): number {
  try {
    return Math.round(Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6);
  } catch {
    return -1;
  }
}

run().then(
  (done) => {
    send(done);
    // nothing more will come: the thread ends by itself, the main thread need not stop it
    port.unref();
  },
  (e: unknown) => {
    if (e instanceof CaptureError) send({ kind: 'error', message: e.message, captureFile: e.file, captureReason: e.reason });
    else send({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  },
);
