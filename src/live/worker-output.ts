// Per-packet outputs of a live mode judged on worker threads (`--verdicts`, `--flow-log`, sampled
// drop lines), carried to the main thread in batches and written there as one output, in the format
// one thread writes. A worker's side (WorkerOutputBuffer) collects what its VerdictDuties produce and
// posts it once per event-loop turn (so at most one message per NFQUEUE read, none when idle) or
// when it grows past a bound; the main thread's side (WorkerOutputWriter) numbers the verdict lines
// in the order it receives them, feeds flow observations to the flow-log file and re-samples drop
// lines at the run's rate.
// Ordering: a flow's packets are judged on one worker, and one worker's batches arrive in order, so
// a flow's lines and records keep their order; lines of flows on different workers interleave by
// batch. Nothing of this runs unless its output is asked for: the counters stay per packet and free.
import type { FlowObservation, FlowSink } from '../observe/flow-log.js';
import type { DropSampler } from '../observe/drop-sampler.js';
import type { DropLogger, FlowWindows, VerdictSink } from './verdict-duties.js';

/** One worker's outputs since its last batch. */
export interface WorkerOutputBatch {
  /** `--verdicts` lines, each ending in '\n', numbered by the worker (renumbered by the writer) */
  verdicts: string;
  flows: FlowObservation[];
  drops: { fields: object; message: string }[];
}

/** Bytes of verdict lines, or flow observations, after which a batch goes at once (bounds a worker's memory). */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_FLOWS = 4096;

/** The worker's side: a VerdictSink, a flow-log window source and a drop logger, posting batches. */
export class WorkerOutputBuffer implements VerdictSink, FlowWindows, FlowSink, DropLogger {
  private verdicts: string[] = [];
  private verdictBytes = 0;
  private flows: FlowObservation[] = [];
  private drops: WorkerOutputBatch['drops'] = [];
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly post: (batch: WorkerOutputBatch) => void) {}

  write(line: string): void {
    this.verdicts.push(line);
    this.verdictBytes += line.length;
    if (this.verdictBytes >= FLUSH_BYTES) this.flush();
    else this.schedule();
  }

  /** Every window is the main thread's: the observation carries its time, the writer windows it. */
  window(): FlowSink {
    return this;
  }

  add(o: FlowObservation): void {
    this.flows.push(o);
    if (this.flows.length >= FLUSH_FLOWS) this.flush();
    else this.schedule();
  }

  info(fields: object, message: string): void {
    this.drops.push({ fields, message });
    this.schedule();
  }

  /** Posts what has gathered (nothing when empty). */
  flush(): void {
    if (this.verdicts.length === 0 && this.flows.length === 0 && this.drops.length === 0) return;
    const batch: WorkerOutputBatch = { verdicts: this.verdicts.join(''), flows: this.flows, drops: this.drops };
    this.verdicts = [];
    this.verdictBytes = 0;
    this.flows = [];
    this.drops = [];
    this.post(batch);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushSoon);
  }
}

export interface WorkerOutputTargets {
  verdicts?: VerdictSink | null;
  flows?: FlowSink | null;
  drops?: { readonly sampler: DropSampler; readonly logger: DropLogger } | null;
}

const FRAME_PREFIX = '{"frame":';

/** The main thread's side: one output from every worker's batches. */
export class WorkerOutputWriter {
  /** verdict lines written: the number the next one gets is this + 1 */
  lines = 0;

  constructor(private readonly targets: WorkerOutputTargets) {}

  take(batch: WorkerOutputBatch): void {
    const { verdicts, flows, drops } = this.targets;
    if (verdicts && batch.verdicts.length > 0) verdicts.write(this.renumber(batch.verdicts));
    if (flows) for (const o of batch.flows) flows.add(o);
    if (drops) for (const d of batch.drops) if (drops.sampler.take()) drops.logger.info(d.fields, d.message);
  }

  /** Each line's frame number becomes its place in the one output (a worker counts only its own). */
  private renumber(text: string): string {
    const out: string[] = [];
    let at = 0;
    while (at < text.length) {
      const end = text.indexOf('\n', at);
      const line = end < 0 ? text.slice(at) : text.slice(at, end + 1);
      at = end < 0 ? text.length : end + 1;
      const comma = line.startsWith(FRAME_PREFIX) ? line.indexOf(',', FRAME_PREFIX.length) : -1;
      out.push(comma < 0 ? line : `${FRAME_PREFIX}${++this.lines}${line.slice(comma)}`);
    }
    return out.join('');
  }
}
