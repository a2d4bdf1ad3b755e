// Host mode on N worker threads (`sgfw run --mode host --workers N`): the main thread keeps the
// control plane and its own compiled Dataplane (status, reloads and metrics read it), and the
// packets go to N NFQUEUE queues (`--queue-balance`), one per worker. Every model change the main
// Dataplane applies is sent to all workers as a delta with a generation; `inForce()` resolves once
// every worker has acked the latest generation, and the API answers only then, so an accepted
// call is in force on every worker before its answer. Judging never waits for the main thread: an
// API call, a DryRun, a snapshot or a reload there holds no worker's packets.
import { Worker } from 'node:worker_threads';
import { modelDelta, modelImage } from '../dataplane/model-mirror.js';
import type { ModelChange } from '../dataplane/dataplane.js';
import { workerExecArgv, workerScript } from '../dataplane/worker-script.js';
import type { ModelView } from '../model/model-view.js';
import type { FromHostWorker, HostWorkerInit, HostWorkerStats, ToHostWorker } from './host-worker-protocol.js';
import type { WorkerOutputBatch } from './worker-output.js';
import type { WorkerScrape } from './worker-metrics.js';

export interface HostWorkersOptions {
  /** the first queue of the range; worker i reads queue `queueBase + i` */
  queueBase: number;
  workers: number;
  maxLen: number;
  failOpen: boolean;
  /** per-packet outputs the workers send (default none); they arrive at `onOutput` */
  outputs?: HostWorkerInit['outputs'];
}

/** How long a scrape waits for a worker (busy with a long rebuild) before serving its last answer. */
const SCRAPE_WAIT_MS = 2000;

interface Member {
  readonly worker: Worker;
  acked: number;
  stats: ((s: HostWorkerStats) => void)[];
  scrapes: ((s: WorkerScrape) => void)[];
  lastScrape: WorkerScrape;
  closed: (() => void) | null;
}

export class HostWorkers {
  private generation = 0;
  private waiting: { generation: number; resolve: () => void }[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly view: ModelView,
    private readonly members: Member[],
    private readonly started: Promise<void>,
    private readonly versions: Int32Array,
  ) {
    started.catch(() => undefined); // awaited by ready()
  }

  /**
   * Starts the workers on the model as it is now; changes may be sent at once (a worker takes them
   * once started). `ready()` says when every queue is bound.
   */
  static spawn(view: ModelView, o: HostWorkersOptions): HostWorkers {
    const script = workerScript(import.meta.url, 'host-worker.js');
    const image = modelImage(view);
    const members: Member[] = [];
    const ready: Promise<void>[] = [];
    const versions = new Int32Array(new SharedArrayBuffer(4 * o.workers)).fill(-1);
    for (let i = 0; i < o.workers; i++) {
      const outputs = o.outputs ?? { verdicts: false, flows: false, dropRate: 0 };
      const init: HostWorkerInit = { queueNum: o.queueBase + i, maxLen: o.maxLen, failOpen: o.failOpen, image, index: i, versions, outputs };
      const worker = new Worker(script, { workerData: init, execArgv: workerExecArgv() });
      const member: Member = { worker, acked: 0, stats: [], scrapes: [], lastScrape: { families: [], judged: 0, reasonCounts: [] }, closed: null };
      members.push(member);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', (m: FromHostWorker) => (m.kind === 'ready' ? resolve() : reject(new Error(m.kind === 'error' ? m.message : `worker ${i}: ${m.kind}`))));
          worker.once('error', reject);
        }),
      );
    }
    const pool = new HostWorkers(view, members, Promise.all(ready).then(() => undefined), versions);
    for (const m of members) pool.follow(m);
    return pool;
  }

  /** Resolves once every worker has bound its queue; rejects (and stops them all) if one cannot. */
  async ready(): Promise<void> {
    try {
      await this.started;
    } catch (e) {
      await Promise.all(this.members.map((m) => m.worker.terminate()));
      throw e;
    }
  }

  private follow(m: Member): void {
    m.worker.on('message', (msg: FromHostWorker) => {
      if (msg.kind === 'ready' || msg.kind === 'error') return; // start-up: see spawn
      if (msg.kind === 'ack') {
        m.acked = msg.generation;
        this.settle();
      } else if (msg.kind === 'output') this.onOutput?.(msg.batch);
      else if (msg.kind === 'stats') m.stats.shift()?.(msg);
      else if (msg.kind === 'metrics') {
        m.lastScrape = { families: msg.families, judged: msg.judged, reasonCounts: msg.reasonCounts };
        m.scrapes.shift()?.(m.lastScrape);
      } else if (msg.kind === 'closed') m.closed?.();
    });
    m.worker.on('error', (e) => this.fail(e));
    m.worker.on('exit', (code) => {
      if (m.closed) m.closed();
      else this.fail(new Error(`a host worker exited (code ${code})`));
    });
  }

  /** each worker's batches of per-packet outputs, in the order each worker sent them */
  onOutput: ((batch: WorkerOutputBatch) => void) | null = null;

  /** told once when a worker dies or errs: its queue is no longer read (the caller stops, failing closed) */
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
    return Array.from(this.versions, (_, i) => Atomics.load(this.versions, i));
  }

  /** Sends a change (the main Dataplane's `applyModel` argument; none: the model replaced whole) to every worker. */
  apply(change?: ModelChange): void {
    const generation = ++this.generation;
    const m: ToHostWorker = change ? { kind: 'delta', generation, delta: modelDelta(this.view, change) } : { kind: 'image', generation, image: modelImage(this.view) };
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
            m.worker.postMessage({ kind: 'metrics' } satisfies ToHostWorker);
          }),
      ),
    );
  }

  /** The workers' counters, summed (queue counters too; the lowest model version), and each worker's. */
  async stats(): Promise<HostWorkerStats & { perWorker: number[]; each: HostWorkerStats[] }> {
    const all = await Promise.all(
      this.members.map(
        (m) =>
          new Promise<HostWorkerStats>((resolve) => {
            m.stats.push(resolve);
            m.worker.postMessage({ kind: 'stats' } satisfies ToHostWorker);
          }),
      ),
    );
    const sum: HostWorkerStats = { packets: 0, allowed: 0, dropped: 0, failedBatches: 0, lastError: null, conntrackEntries: 0, modelVersion: Infinity, queue: { received: 0, batches: 0, enobufs: 0, verdictErrors: 0, overflows: 0 } };
    for (const s of all) {
      sum.packets += s.packets;
      sum.allowed += s.allowed;
      sum.dropped += s.dropped;
      sum.failedBatches += s.failedBatches;
      sum.lastError ??= s.lastError;
      sum.conntrackEntries += s.conntrackEntries;
      sum.modelVersion = Math.min(sum.modelVersion, s.modelVersion);
      for (const k of Object.keys(sum.queue) as (keyof HostWorkerStats['queue'])[]) sum.queue[k] += s.queue[k];
    }
    return { ...sum, perWorker: all.map((s) => s.packets), each: all };
  }

  /** Closes every worker's queue, then the workers. */
  async close(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            m.closed = resolve;
            m.worker.postMessage({ kind: 'close' } satisfies ToHostWorker);
          }),
      ),
    );
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }
}
