// A live mode on N worker threads (`sgfw run --workers N`, host and inline): the main thread keeps
// the control plane and its own compiled Dataplane (status, reloads and metrics read it), and each
// worker captures a share of the traffic and judges it with its own Dataplane. Every model change
// the main Dataplane applies is sent to all workers as a delta with a generation; `inForce()`
// resolves once every worker has acked the latest generation, and the API answers only then, so an
// accepted call is in force on every worker before its answer. Judging never waits for the main
// thread: an API call, a DryRun, a snapshot or a reload there holds no worker's packets.
// A change that touches nothing a worker holds (a group no interface is in: model-mirror.ts) is not
// sent and takes no generation: it is in force on every worker as soon as the changes sent before
// it are, so `inForce()` waits for those only. The workers learn its version with the next message
// that asks what they run (stats, scrape, close), and `workerVersions()` counts it for a worker
// that has acked everything sent.
//
// The workers build their Dataplanes side by side, then open their captures one at a time in index
// order, each told what the one before said when it opened (inline mode: the PACKET_FANOUT groups
// the first worker made, which the others join in the same order on both interfaces, so that a
// flow's hash picks the same worker on either side).
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { ThreadScheduling } from '../capture/realtime-thread.js';
import { modelDelta, modelImage } from '../dataplane/model-mirror.js';
import type { ModelChange } from '../dataplane/dataplane.js';
import { workerExecArgv } from '../dataplane/worker-script.js';
import type { ModelView } from '../model/model-view.js';
import { errorOfWorker } from './worker-errors.js';
import type { WorkerScrape } from './worker-metrics.js';
import type { WorkerOutputBatch } from './worker-output.js';
import { NO_OUTPUTS, type FromLiveWorker, type LiveWorkerInit, type LiveWorkerOutputs, type ToLiveWorker } from './worker-protocol.js';

/** How long a scrape waits for a worker (busy with a long rebuild) before serving its last answer. */
const SCRAPE_WAIT_MS = 2000;

interface Member<Stats> {
  readonly worker: Worker;
  acked: number;
  /** callers waiting for its counters / its scrape, in the order asked */
  stats: ((s: Stats) => void)[];
  scrapes: ((s: WorkerScrape) => void)[];
  lastScrape: WorkerScrape;
  closed: ((last: Stats | null) => void) | null;
  /** the thread has exited (stopped by ready() after a failed start, or died) */
  exited: boolean;
  /** set during start-up: the worker's answer to the step it is at */
  step: ((m: FromLiveWorker<Stats>) => void) | null;
}

/** What a mode gives the pool: its worker entry module and each worker's own init fields. */
export interface LiveWorkerSpec<Init extends LiveWorkerInit> {
  /** the entry module's URL (workerScript(import.meta.url, 'x-worker.js') from the mode's module) */
  script: URL;
  workers: number;
  /** worker i's init, less what the pool adds (the model image, its index, the versions array, the outputs, the peer ports) */
  init(index: number): Omit<Init, keyof LiveWorkerInit>;
  /** per-packet outputs the workers send (default none); they arrive at `onOutput` */
  outputs?: LiveWorkerOutputs;
  /** give each worker a MessagePort to every other worker (init `peers`), to talk without the main thread */
  peers?: boolean;
  /** `--realtime-workers`: each worker's thread takes SCHED_FIFO at this priority as it starts (default: the normal class) */
  realtime?: number;
}

export class LiveWorkers<Init extends LiveWorkerInit, Stats> {
  private generation = 0;
  /** the model version of the last change not sent (it touched nothing a worker holds), -1: none */
  private skippedVersion = -1;
  private waiting: { generation: number; resolve: () => void }[] = [];
  private failure: Error | null = null;
  private readonly started: Promise<void>;

  private constructor(
    private readonly view: ModelView,
    private readonly members: Member<Stats>[],
    private readonly versions: Int32Array,
  ) {
    for (const m of members) this.follow(m);
    this.started = this.startInOrder();
    this.started.catch(() => undefined); // awaited by ready()
  }

  /**
   * Starts the workers on the model as it is now; changes may be sent at once (a worker takes them
   * once started). `ready()` says when every capture is open.
   */
  static spawn<Init extends LiveWorkerInit, Stats>(view: ModelView, spec: LiveWorkerSpec<Init>): LiveWorkers<Init, Stats> {
    const image = modelImage(view);
    const versions = new Int32Array(new SharedArrayBuffer(4 * spec.workers)).fill(-1);
    const members: Member<Stats>[] = [];
    // peers[i]: worker i's ends of a channel to each other worker, in index order
    const peers: MessagePort[][] = Array.from({ length: spec.workers }, () => []);
    if (spec.peers) {
      for (let i = 0; i < spec.workers; i++) {
        for (let j = i + 1; j < spec.workers; j++) {
          const { port1, port2 } = new MessageChannel();
          peers[i]!.push(port1);
          peers[j]!.push(port2);
        }
      }
    }
    for (let i = 0; i < spec.workers; i++) {
      const init = { ...spec.init(i), image, index: i, versions, outputs: spec.outputs ?? NO_OUTPUTS, peers: peers[i]!, realtime: spec.realtime ?? null };
      const worker = new Worker(spec.script, { workerData: init, transferList: peers[i]!, execArgv: workerExecArgv() });
      members.push({ worker, acked: 0, stats: [], scrapes: [], lastScrape: { families: [], judged: 0, reasonCounts: [] }, closed: null, exited: false, step: null });
    }
    return new LiveWorkers<Init, Stats>(view, members, versions);
  }

  /** what each worker said when its capture opened (its `started`), in index order, once ready */
  readonly starts: unknown[] = [];
  /** each worker's thread id and scheduling class (null: the sched addon is not built), in index order, once ready */
  threads: (ThreadScheduling | null)[] = [];

  private async startInOrder(): Promise<void> {
    // Every worker prepared (side by side), then each capture opened after the one before.
    const prepared = await Promise.all(this.members.map((m, i) => this.await(m, i, 'prepared')));
    this.threads = prepared.map((p) => (p.kind === 'prepared' ? p.thread : null));
    let after: unknown;
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i]!;
      const ready = this.await(m, i, 'ready');
      m.worker.postMessage({ kind: 'start', after } satisfies ToLiveWorker);
      const r = await ready;
      after = r.kind === 'ready' ? r.started : undefined;
      this.starts.push(after);
    }
  }

  private await(m: Member<Stats>, i: number, kind: 'prepared' | 'ready'): Promise<FromLiveWorker<Stats>> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      const onExit = (code: number): void => reject(new Error(`worker ${i} exited (code ${code}) before it was ${kind}`));
      m.worker.once('error', onError);
      m.worker.once('exit', onExit);
      m.step = (msg) => {
        m.step = null;
        m.worker.off('error', onError);
        m.worker.off('exit', onExit);
        if (msg.kind === kind) resolve(msg);
        else reject(msg.kind === 'error' ? errorOfWorker(msg.failure) : new Error(`worker ${i}: ${msg.kind}`));
      };
    });
  }

  /** Resolves once every worker has opened its capture; rejects (and stops them all) if one cannot. */
  async ready(): Promise<void> {
    try {
      await this.started;
    } catch (e) {
      await Promise.all(this.members.map((m) => m.worker.terminate()));
      throw e;
    }
  }

  private follow(m: Member<Stats>): void {
    m.worker.on('message', (msg: FromLiveWorker<Stats>) => {
      if (msg.kind === 'ack') {
        m.acked = msg.generation;
        this.settle();
      } else if (msg.kind === 'output') this.onOutput?.(msg.batch);
      else if (msg.kind === 'stats') m.stats.shift()?.(msg.stats);
      else if (msg.kind === 'metrics') {
        m.lastScrape = msg.scrape;
        m.scrapes.shift()?.(msg.scrape);
      } else if (msg.kind === 'closed') m.closed?.(msg.stats);
      else m.step?.(msg); // start-up: see startInOrder
    });
    m.worker.on('error', (e) => this.fail(e));
    m.worker.on('exit', (code) => {
      m.exited = true;
      if (m.closed) m.closed(null);
      else this.fail(new Error(`a worker thread exited (code ${code})`));
    });
  }

  /** each worker's batches of per-packet outputs, in the order each worker sent them */
  onOutput: ((batch: WorkerOutputBatch) => void) | null = null;

  /** told once when a worker dies or errs: its share of the traffic is no longer judged (the caller stops, failing closed) */
  onFailure: ((e: Error) => void) | null = null;

  private fail(e: Error): void {
    if (this.failure === null) this.onFailure?.(e);
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.resolve();
  }

  private settle(): void {
    const low = Math.min(...this.members.map((m) => m.acked));
    this.waiting = this.waiting.filter((w) => {
      if (w.generation > low) return true;
      w.resolve();
      return false;
    });
  }

  /** The model version in force on each worker now (-1: not started), read without asking them. */
  workerVersions(): number[] {
    return this.members.map((m, i) => {
      const own = Atomics.load(this.versions, i);
      // every change sent is in force there, and those not sent change nothing it judges by
      return own >= 0 && m.acked === this.generation ? Math.max(own, this.skippedVersion) : own;
    });
  }

  /**
   * Sends a change (the main Dataplane's `applyModel` argument; none: the model replaced whole) to
   * every worker, unless it touches nothing they hold.
   */
  apply(change?: ModelChange): void {
    const delta = change ? modelDelta(this.view, change) : null;
    if (change && delta === null) {
      this.skippedVersion = this.view.version;
      return;
    }
    const generation = ++this.generation;
    const m: ToLiveWorker = delta ? { kind: 'delta', generation, delta } : { kind: 'image', generation, image: modelImage(this.view) };
    for (const member of this.members) member.worker.postMessage(m);
  }

  /** Resolves once every worker has the changes sent so far in force; rejects if a worker died. */
  inForce(): Promise<void> {
    const generation = this.generation;
    return new Promise<void>((resolve, reject) => {
      const done = () => (this.failure ? reject(this.failure) : resolve());
      if (this.failure) return done();
      this.waiting.push({ generation, resolve: done });
      this.settle();
    });
  }

  /** Each worker's counters, in index order (once ready). */
  stats(): Promise<Stats[]> {
    return Promise.all(
      this.members.map(
        (m) =>
          new Promise<Stats>((resolve) => {
            m.stats.push(resolve);
            m.worker.postMessage({ kind: 'stats', skippedVersion: this.skippedVersion } satisfies ToLiveWorker);
          }),
      ),
    );
  }

  /**
   * Every worker's metric families, asked now (one message each, no per-packet cost); a worker that
   * does not answer within SCRAPE_WAIT_MS (a long rebuild) is served as it last answered.
   */
  scrape(): Promise<WorkerScrape[]> {
    return Promise.all(
      this.members.map(
        (m) =>
          new Promise<WorkerScrape>((resolve) => {
            const timer = setTimeout(() => {
              m.scrapes = m.scrapes.filter((s) => s !== answer);
              resolve(m.lastScrape);
            }, SCRAPE_WAIT_MS);
            const answer = (s: WorkerScrape): void => {
              clearTimeout(timer);
              resolve(s);
            };
            m.scrapes.push(answer);
            m.worker.postMessage({ kind: 'metrics', skippedVersion: this.skippedVersion } satisfies ToLiveWorker);
          }),
      ),
    );
  }

  /**
   * Closes every worker's capture, then the workers (a worker already gone is not waited for).
   * Resolves with each worker's counters as its capture closed (null: a worker gone, or never started).
   */
  async close(): Promise<(Stats | null)[]> {
    const last = await Promise.all(
      this.members.map(
        (m) =>
          new Promise<Stats | null>((resolve) => {
            if (m.exited) return resolve(null);
            m.closed = resolve;
            m.worker.postMessage({ kind: 'close', skippedVersion: this.skippedVersion } satisfies ToLiveWorker);
          }),
      ),
    );
    await Promise.all(this.members.map((m) => m.worker.terminate()));
    return last;
  }
}
