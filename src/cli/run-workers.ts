// The main thread's side of a live mode on worker threads (host, inline and monitor alike): the workers
// follow every change the main Dataplane applies (an API call answers once it is in force on all),
// and what they report reads as one thread's: the per-packet outputs they send in batches
// (--verdicts, --flow-log, sampled drop lines) written here as one output (live/worker-output.ts),
// --metrics and /status served from a scrape of every worker, merged under the names one thread
// uses (live/worker-metrics.ts).
import { createWriteStream, type WriteStream } from 'node:fs';
import { REALTIME_PRIORITY, type ThreadScheduling } from '../capture/realtime-thread.js';
import { mainThreadFamilies, observeRebuilds } from '../live/host-metrics.js';
import { runStatus } from '../live/run-status.js';
import { summedGauge, summedReasonCounts, workerMetricFamilies, type WorkerScrape } from '../live/worker-metrics.js';
import { WorkerOutputWriter, type WorkerOutputBatch } from '../live/worker-output.js';
import type { LiveWorkerOutputs } from '../live/worker-protocol.js';
import type { ModelChange } from '../dataplane/dataplane.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { SgfwMetrics, type MetricFamily } from '../observe/metrics.js';
import { ExitCode } from './exit-codes.js';
import { dropLogTicker } from './run-lifecycle.js';
import { RunFlowLog } from './run-flow-log.js';
import type { LiveModel } from './run-model.js';
import type { RunOptions } from './run-options.js';
import { statusSource } from './run-status-source.js';
import { packageVersion } from './version.js';

/** What the main thread needs of a pool of live workers (live/worker-pool.ts, host-workers.ts). */
interface Workers {
  apply(change?: ModelChange): void;
  inForce(): Promise<void>;
  scrape(): Promise<WorkerScrape[]>;
  onOutput: ((batch: WorkerOutputBatch) => void) | null;
}

/** …and what starting and undoing it needs. */
interface Pool extends Workers {
  ready(): Promise<void>;
  close(): Promise<unknown>;
  /** each worker's thread id and scheduling class, once ready */
  readonly threads: readonly (ThreadScheduling | null)[];
}

export class WorkersRun {
  /** what each worker is asked to send */
  readonly spec: LiveWorkerOutputs;
  /** `--realtime-workers`: the SCHED_FIFO priority the workers take; undefined: the normal class */
  readonly realtime: number | undefined;
  private readonly writer: WorkerOutputWriter;
  private metrics: MetricsServer | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private pool: Workers | null = null;

  private constructor(
    private readonly o: RunOptions,
    private readonly live: LiveModel,
    private readonly verdicts: WriteStream | null,
    private readonly flowLog: RunFlowLog | null,
    private readonly sampler: DropSampler,
    private readonly judgeOnly: boolean,
  ) {
    this.spec = { verdicts: verdicts !== null, flows: flowLog !== null, dropRate: o.dropRate };
    this.realtime = o.realtimeWorkers ? REALTIME_PRIORITY : undefined;
    this.writer = new WorkerOutputWriter({ verdicts, flows: flowLog, drops: o.dropRate > 0 ? { sampler, logger: o.log } : null });
  }

  /**
   * Opens the run's output files. Each worker samples drop lines at the run's rate; this thread
   * samples their lines again, so the log as a whole keeps to --drop-log-rate. `judgeOnly` (monitor
   * mode), as its one thread: nothing is dropped (no drop lines, no count of those not logged). With
   * the API, in every mode, the flow log names the API's account for an interface whose groups the
   * model does not know, as one thread's does.
   */
  static open(o: RunOptions, live: LiveModel, judgeOnly = false): WorkersRun {
    const verdicts = o.verdictsFile ? createWriteStream(o.verdictsFile) : null;
    const flowLog = RunFlowLog.open(o.flowLog, live.dataplane, live.view, o.log, live.api?.service.accountId);
    return new WorkersRun(judgeOnly ? { ...o, dropRate: 0 } : o, live, verdicts, flowLog, new DropSampler(judgeOnly ? 0 : o.dropRate), judgeOnly);
  }

  /**
   * Spawns the pool (`spawn`: on the model as it is now; it follows every change the main Dataplane
   * applies from then on), wires it in (attach) and resolves once every worker's capture is open and
   * `then` (host mode: its queue rules) is done; /readyz says ready from then on, and /status counts
   * the run's uptime from this call. On a failure undoes it all (the pool, the outputs, the model)
   * and throws (the caller's startFailed reports it).
   */
  async start<P extends Pool>(spawn: () => P, mode: string, then?: () => Promise<void>): Promise<{ pool: P; metrics: MetricsServer | null }> {
    const startedAt = Date.now();
    let pool: P | null = null;
    let ready = false;
    try {
      pool = spawn();
      const metrics = await this.attach(pool, mode, startedAt, () => ready);
      await pool.ready();
      this.logThreads(pool.threads);
      await then?.();
      ready = true;
      return { pool, metrics };
    } catch (e) {
      this.detach();
      await pool?.close().catch(() => undefined);
      await this.close();
      await this.live.close();
      throw e;
    }
  }

  /** One line: the workers' thread ids (`ps -L`'s LWP) and the class they run in. */
  private logThreads(threads: readonly (ThreadScheduling | null)[]): void {
    const known = threads.filter((t): t is ThreadScheduling => t !== null);
    if (known.length === 0) return;
    const classes = [...new Set(known.map((t) => (t.policy === 'fifo' ? `SCHED_FIFO priority ${t.priority}` : `the normal class (${t.policy})`)))];
    this.o.log.info({ event: 'worker-threads', threads: known }, `packet workers on threads ${known.map((t) => t.tid).join(', ')}, in ${classes.join(' and ')}`);
  }

  /**
   * Wires `pool` in: its outputs written here, every change the main Dataplane applies sent to it
   * (and the API waiting until it is in force there), and with --metrics the server, which serves
   * the workers' families merged, and /status summed, while `ready()` says enforcing.
   */
  private async attach(pool: Workers, mode: string, startedAt: number, ready: () => boolean): Promise<MetricsServer | null> {
    const { o, live, sampler } = this;
    pool.onOutput = (batch) => this.writer.take(batch);
    live.dataplane.onApplied = (change) => pool.apply(change);
    live.setInForce?.(() => pool.inForce());
    this.pool = pool;
    if (!o.metricsAt) return null;
    let scraped: MetricFamily[] = [];
    const registry = new SgfwMetrics({ version: packageVersion() })
      .addFamilies(() => scraped)
      .addFamilies(() => live.metricFamilies());
    // The main Dataplane rebuilds on every change as each worker's does: its timings stand for theirs.
    observeRebuilds(registry, live.dataplane);
    const render = async (): Promise<string> => {
      // SIGHUP reloads in every mode; drop lines held back only where something is dropped
      const main = mainThreadFamilies({ reloads: live.reloads ?? undefined, dropLogsSuppressed: this.judgeOnly ? undefined : () => sampler.suppressedTotal });
      scraped = workerMetricFamilies(await pool.scrape(), main);
      return registry.render();
    };
    // /status as one thread reports it: the workers' verdicts and flows, summed.
    const status = async (): Promise<unknown> => {
      const scrapes = await pool.scrape();
      const judged = { reasonCounts: summedReasonCounts(scrapes), conntrackEntries: summedGauge(scrapes, 'sgfw_conntrack_entries'), conntrackCapacity: summedGauge(scrapes, 'sgfw_conntrack_capacity') };
      return runStatus({ ...statusSource(live, mode, startedAt), judged });
    };
    this.metrics = await startMetricsServer(o.metricsAt, render, { status, ready });
    return this.metrics;
  }

  /** Changes stop going to the workers (before they close). */
  detach(): void {
    this.live.dataplane.onApplied = null;
    this.pool = null;
  }

  /** Once enforcing: the once-a-second count of drop lines not logged. */
  startTicker(): void {
    this.ticker = dropLogTicker(this.sampler, this.o);
  }

  /**
   * SIGHUP: the flow log reopened (logrotate), then the model's own hangup (a reload of the state
   * files, an EC2 poll, a fleet reconcile); resolves once what it changed is in force on every
   * worker, so systemd hears READY=1 only when every packet is judged by the reloaded rules.
   */
  async hangup(): Promise<void> {
    this.flowLog?.reopen();
    await this.live.hangup();
    // a worker that failed meanwhile is reported (and the run stopped) by the pool's onFailure
    await this.pool?.inForce().catch(() => undefined);
  }

  /** After the workers closed (each sends its last outputs first): the metrics server and the files. */
  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await this.metrics?.close();
    const { verdicts } = this;
    if (verdicts) await new Promise<void>((resolve) => verdicts.end(resolve));
    this.flowLog?.close();
  }
}

/**
 * What a live mode on workers does when one fails, leaving a share of the packets unjudged: the
 * fatal line (`stopping`: what the exit leaves behind) and exit as a crash does; a supervisor
 * restarts sgfw.
 */
export function exitOnWorkerFailure(o: Pick<RunOptions, 'log'>, stopping: string): (e: Error) => void {
  return (e) => {
    o.log.fatal({ event: 'worker-failed', error: e.message }, `a worker thread failed, ${stopping}: ${e.message}`);
    process.exit(ExitCode.failed);
  };
}
