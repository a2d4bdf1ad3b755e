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
import type { FromShard, ShardBatch, ShardDone, ShardSpawn, ShardStart, ToShard } from './shard-protocol.js';

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

/**
 * The worker threads of one `replay --workers N` (N ≥ 2), started before the state is loaded so
 * that their start-up (a thread, its modules) overlaps the main thread's; `run` then replays.
 */
export class ReplayWorkers {
  private readonly shards: Shard[] = [];
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private started = false;
  /** the highest timeline entry a worker asked for, plus one */
  private asked = 0;
  private onProgress: ((frames: number) => void) | null = null;

  constructor(
    private readonly captures: readonly string[],
    workers: number,
  ) {
    const script = workerScript(import.meta.url, 'replay-worker.js');
    for (let shard = 0; shard < workers; shard++) {
      const spawn: ShardSpawn = { shard, shards: workers, captures, origin: performance.timeOrigin };
      const s = new Shard(new Worker(script, { workerData: spawn, execArgv: workerExecArgv() }));
      this.shards.push(s);
      // Listening from the start: a worker that fails before `run` must not go unheard.
      s.worker.on('message', (m: FromShard) => this.receive(s, m));
      s.worker.on('error', (e) => this.fail(e));
      s.worker.on('exit', (code) => {
        if (s.done === null) this.fail(new Error(`replay worker ${shard} exited (code ${code}) before it finished`));
      });
    }
  }

  private receive(s: Shard, m: FromShard): void {
    if (m.kind === 'batch') s.batches.push(m);
    else if (m.kind === 'done') s.done = m;
    else if (m.kind === 'need') this.asked = Math.max(this.asked, m.entry + 1);
    else if (m.kind === 'progress') this.onProgress?.(m.frame);
    else this.error ??= m.captureFile !== undefined ? new CaptureError(m.captureFile, m.captureReason!) : new Error(`replay worker: ${m.message}`);
    this.wake?.();
  }

  private fail(e: Error): void {
    this.error ??= e;
    this.wake?.();
  }

  /** Stops workers that will not be used (the state or timeline failed to load). */
  cancel(): void {
    this.started = true;
    for (const s of this.shards) void s.worker.terminate();
  }

  /** Replays `options` (over the captures the workers were started with); see the header. */
  async run(control: ReplayControlPlane, options: ReplayOptions): Promise<ReplaySummary> {
    if (this.started) throw new Error('replay workers run once');
    this.started = true;
    try {
      return await this.replay(control, options);
    } finally {
      // A worker that is done exits by itself; one that is not (an error) is stopped, unwaited.
      for (const s of this.shards) if (s.done === null) void s.worker.terminate();
    }
  }

  private async replay(control: ReplayControlPlane, options: ReplayOptions): Promise<ReplaySummary> {
    if (options.captures !== this.captures && options.captures.join('\0') !== this.captures.join('\0')) {
      throw new Error('replay workers: run with other captures than they were started with');
    }
    const shards = this.shards;
    const workers = shards.length;
    const timeline = options.timeline ?? [];
    const perFrame = Boolean(options.verdictsFile || options.flowLogFile || options.writeAllowedFile);
    // Opened (and emptied) before any judging, as a one-thread replay does: a path that can't be written fails first.
    const verdicts = options.verdictsFile ? new LineSink(options.verdictsFile) : null;
    const flows = options.flowLogFile ? new CaptureTimeFlowLog(options.flowLogFile, control, options) : null;
    const start: ShardStart = {
      kind: 'start',
      image: modelImage(control),
      // The workers' tables hold the flows of one table between them: each its share (see the header).
      conntrackCapacity: Math.ceil((options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY) / workers),
      timelineFrames: timeline.map((e) => e.beforeFrame),
      perFrame,
      verdictLines: verdicts !== null,
      flowObservations: flows !== null,
    };
    let deltas: ModelDelta[] = [];
    // a change that touches nothing a worker holds (model-mirror.ts) is not sent
    const unsubscribe = control.onChange((change) => {
      const delta = modelDelta(control, change);
      if (delta) deltas.push(delta);
    });
    for (const s of shards) s.worker.postMessage(start);
    let applied = 0;
    let failure: ReplayFailure | undefined;
    const broadcast = (m: ToShard) => {
      for (const s of shards) s.worker.postMessage(m);
    };
    this.onProgress = options.onProgress ?? null;
    const event = () => new Promise<void>((resolve) => (this.wake = resolve));

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
        while (!this.error && shards.some((s) => s.done === null)) {
          // A worker at entry k's frame proves the frame exists: the call is due.
          if (failure === undefined && applied < this.asked) await applyNext();
          else await event();
        }
      } else {
        // The writing loop: frame f comes from whichever worker judged it.
        const reader = options.writeAllowedFile || flows ? new FrameCursor(options.captures) : null;
        let f = 1;
        try {
          while (!this.error) {
            if (failure === undefined && applied < this.asked && timeline[applied]!.beforeFrame <= f) {
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
      if (this.error) throw this.error;
    } finally {
      unsubscribe();
      this.onProgress = null;
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
      workers: shards.map(({ done: d }) => ({
        judged: d!.judged,
        cpuMs: d!.cpuMs,
        startCpuMs: d!.startCpuMs,
        buildCpuMs: d!.buildCpuMs,
        loopCpuMs: d!.loopCpuMs,
        readyMs: d!.readyMs,
        doneMs: d!.doneMs,
      })),
    };
  }
}

/** Replays `options` on `workers` threads (workers ≥ 2); see the header. */
export async function replayOnWorkers(control: ReplayControlPlane, options: ReplayOptions, workers: number): Promise<ReplaySummary> {
  return new ReplayWorkers(options.captures, workers).run(control, options);
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
