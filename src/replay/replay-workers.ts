// `sgfw replay --workers N` (N > 1): the frames judged on N worker threads, sharded by flow
// (dataplane/flow-shard.ts), with the verdicts, the summary and every output file exactly those of
// a one-thread replay (replay-run.ts). The main thread keeps the control plane: it applies each
// timeline call once, when a worker reaches the call's frame, and sends every worker the change
// (dataplane/model-mirror.ts), which each applies before its first frame at or after the call's.
// When outputs are asked for (--verdicts, --flow-log, --write-allowed) the workers send each
// judged frame's reason (and line, and flow observations) in batches, and the main thread writes
// them in frame order, applying each timeline call only once every earlier frame is written, so the
// flow log reads the model as one thread would. Without outputs, only the counts come back.
// Connection tracking: each worker's table holds 1/N of the configured flows (all its flows are
// its shard's), so the tables together hold what one would; a table under pressure evicts and
// refuses within its shard, so a replay that fills the tables may differ from one thread's by
// how evenly the flows hashed (conntrackFull, and the frames of the flows refused).
import { Worker } from 'node:worker_threads';
import { CaptureError } from '../capture/capture-error.js';
import { CaptureReader } from '../capture/capture-reader.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { modelDelta, modelImage, type ModelDelta } from '../dataplane/model-mirror.js';
import { isAllowed, REASON_COUNT, REASON_NAMES } from '../dataplane/verdict.js';
import { workerExecArgv, workerScript } from '../dataplane/worker-script.js';
import { Ec2Error } from '../model/ec2-error.js';
import { CaptureTimeFlowLog, LineSink, type ReplayControlPlane, type ReplayFailure, type ReplayOptions, type ReplaySummary } from './replay-run.js';
import type { FromShard, ShardBatch, ShardDone, ShardInit, ToShard } from './shard-protocol.js';

/** The Dataplane's default table size (flows, all workers together). */
const DEFAULT_CONNTRACK_CAPACITY = 1 << 20;

/** One worker as the main thread follows it. */
class Shard {
  readonly batches: ShardBatch[] = [];
  /** position in batches[0] */
  at = 0;
  /** flow observations of batches[0] taken so far */
  flowAt = 0;
  done: ShardDone | null = null;
  constructor(readonly worker: Worker) {}

  /** The frame number of the next judged frame not yet written, or 0 when none is here. */
  head(): number {
    while (this.batches.length > 0 && this.at >= this.batches[0]!.frames.length) {
      this.batches.shift();
      this.at = 0;
      this.flowAt = 0;
    }
    return this.batches.length > 0 ? this.batches[0]!.frames[this.at]! : 0;
  }
}

/** Replays `options` on `workers` threads (workers ≥ 2); see the header. */
export async function replayOnWorkers(control: ReplayControlPlane, options: ReplayOptions, workers: number): Promise<ReplaySummary> {
  const timeline = options.timeline ?? [];
  const perFrame = Boolean(options.verdictsFile || options.flowLogFile || options.writeAllowedFile);
  // Opened (and emptied) before any judging, as a one-thread replay does: a path that can't be written fails first.
  const verdicts = options.verdictsFile ? new LineSink(options.verdictsFile) : null;
  const flows = options.flowLogFile ? new CaptureTimeFlowLog(options.flowLogFile, control, options) : null;
  const image = modelImage(control);
  let deltas: ModelDelta[] = [];
  const unsubscribe = control.onChange((change) => deltas.push(modelDelta(control, change)));
  const script = workerScript(import.meta.url, 'replay-worker.js');
  const shards: Shard[] = [];
  for (let shard = 0; shard < workers; shard++) {
    const init: ShardInit = {
      shard,
      shards: workers,
      captures: options.captures,
      image,
      // The workers' tables hold the flows of one table between them: each its share (see the header).
      conntrackCapacity: Math.ceil((options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY) / workers),
      timelineFrames: timeline.map((e) => e.beforeFrame),
      perFrame,
      verdictLines: verdicts !== null,
      flowObservations: flows !== null,
    };
    shards.push(new Shard(new Worker(script, { workerData: init, execArgv: workerExecArgv() })));
  }

  let applied = 0;
  /** the highest entry a worker asked for, plus one */
  let asked = 0;
  let failure: ReplayFailure | undefined;
  let error: Error | null = null;
  let wake: (() => void) | null = null;
  const broadcast = (m: ToShard) => {
    for (const s of shards) s.worker.postMessage(m);
  };
  for (const s of shards) {
    s.worker.on('message', (m: FromShard) => {
      if (m.kind === 'batch') s.batches.push(m);
      else if (m.kind === 'done') s.done = m;
      else if (m.kind === 'need') asked = Math.max(asked, m.entry + 1);
      else if (m.kind === 'progress') options.onProgress?.(m.frame);
      else error ??= m.captureFile !== undefined ? new CaptureError(m.captureFile, m.captureReason!) : new Error(`replay worker: ${m.message}`);
      wake?.();
    });
    s.worker.on('error', (e) => {
      error ??= e;
      wake?.();
    });
    s.worker.on('exit', (code) => {
      if (s.done === null) error ??= new Error(`replay worker ${shards.indexOf(s)} exited (code ${code}) before it finished`);
      wake?.();
    });
  }
  const event = () => new Promise<void>((resolve) => (wake = resolve));

  /** Applies the next timeline entry and sends its changes (or, when refused, the stop) to every worker. */
  const applyNext = async (): Promise<void> => {
    const entry = timeline[applied]!;
    try {
      await control.call(entry.action, entry.parameters);
    } catch (e) {
      if (!(e instanceof Ec2Error)) throw e;
      failure = { frame: entry.beforeFrame, action: entry.action, code: e.code, message: e.message, where: `${options.timelineFile ?? 'timeline'}:${entry.line}` };
      broadcast({ kind: 'stop', entry: applied });
      return;
    }
    broadcast({ kind: 'changes', entry: applied, deltas });
    deltas = [];
    applied++;
  };

  let writer: PcapWriter | null = null;
  try {
    if (!perFrame) {
      while (!error && shards.some((s) => s.done === null)) {
        // A worker at entry k's frame proves the frame exists: the call is due.
        if (failure === undefined && applied < asked) await applyNext();
        else await event();
      }
    } else {
      // The writing loop: frame f comes from whichever worker judged it.
      const reader = options.writeAllowedFile || flows ? new FrameCursor(options.captures) : null;
      let f = 1;
      try {
        while (!error) {
          if (failure === undefined && applied < asked && timeline[applied]!.beforeFrame <= f) {
            await applyNext();
            continue;
          }
          const s = shards.find((x) => x.head() === f);
          if (s === undefined) {
            if (shards.every((x) => x.done !== null && x.head() === 0)) break;
            await event();
            continue;
          }
          const batch = s.batches[0]!;
          const reason = batch.reasons[s.at]!;
          const allowed = isAllowed(reason);
          if (batch.lines) verdicts!.push(batch.lines[s.at]!);
          if (reader) {
            reader.to(f);
            const r = reader.current!;
            flows?.tick(r.timestampMs / 1000);
            if (allowed && options.writeAllowedFile) {
              writer ??= new PcapWriter(options.writeAllowedFile, r.linkType, { nanosecond: true });
              writer.write(r);
            }
          }
          if (batch.flowCounts) {
            for (let k = batch.flowCounts[s.at]!; k > 0; k--) flows!.add(batch.flows![s.flowAt++]!);
          }
          s.at++;
          if ((f & 0xffff) === 0) options.onProgress?.(f);
          f++;
        }
      } finally {
        reader?.close();
      }
    }
    if (error) throw error;
  } finally {
    unsubscribe();
    await Promise.all(shards.map((s) => s.worker.terminate()));
    verdicts?.close();
    writer?.close();
    flows?.close();
  }

  const reasonCounts = new Float64Array(REASON_COUNT);
  const byInterface = new Map<string, [number, number]>();
  let frames = 0;
  let conntrackEntries = 0;
  let conntrackFull = 0;
  for (const s of shards) {
    const d = s.done!;
    frames = Math.max(frames, d.lastFrame);
    d.reasonCounts.forEach((n, i) => (reasonCounts[i] += n));
    for (const i of d.interfaces) {
      const sum = byInterface.get(i.interfaceId) ?? [0, 0];
      sum[0] += i.allowed;
      sum[1] += i.dropped;
      byInterface.set(i.interfaceId, sum);
    }
    conntrackEntries += d.conntrackEntries;
    conntrackFull += d.conntrackFull;
  }
  const byReason: Record<string, number> = {};
  let allowed = 0;
  let dropped = 0;
  reasonCounts.forEach((n, reason) => {
    if (n === 0) return;
    byReason[REASON_NAMES[reason]!] = n;
    if (isAllowed(reason)) allowed += n;
    else dropped += n;
  });
  const interfaces: ReplaySummary['interfaces'] = [];
  for (const eni of control.interfaces()) {
    const sum = byInterface.get(eni.interfaceId);
    if (sum) interfaces.push({ interfaceId: eni.interfaceId, allowed: sum[0], dropped: sum[1] });
  }
  return {
    frames,
    allowed,
    dropped,
    byReason,
    interfaces,
    timelineApplied: applied,
    timelineUnreached: failure ? 0 : timeline.length - applied,
    conntrackEntries,
    conntrackFull,
    writeAllowedSkipped: writer?.skippedLinkType ?? 0,
    failure,
    workers: shards.map((s) => ({ judged: s.done!.judged, cpuMs: s.done!.cpuMs })),
  };
}

/** The captures' frames, one after another, for the main thread's outputs that need the frame itself. */
class FrameCursor {
  current: CaptureReader | null = null;
  private file = 0;
  private frame = 0;
  constructor(private readonly captures: readonly string[]) {}

  /** Moves to frame `n` (≥ the current one; the workers read it, so it exists). */
  to(n: number): void {
    while (this.frame < n) {
      if (this.current === null) this.current = new CaptureReader(this.captures[this.file++]!);
      if (this.current.next()) this.frame++;
      else {
        this.current.close();
        this.current = null;
      }
    }
  }

  close(): void {
    this.current?.close();
  }
}
