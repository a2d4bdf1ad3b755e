// What a live mode on worker threads reports, as one thread would (host and inline alike): the
// per-packet outputs the workers send in batches (--verdicts, --flow-log, sampled drop lines)
// written here as one output (live/worker-output.ts), and --metrics and /status served from a
// scrape of every worker, merged under the names one thread uses (live/worker-metrics.ts).
import { createWriteStream, type WriteStream } from 'node:fs';
import { mainThreadFamilies, observeRebuilds } from '../live/host-metrics.js';
import { runStatus } from '../live/run-status.js';
import { summedGauge, summedReasonCounts, workerMetricFamilies, type WorkerScrape } from '../live/worker-metrics.js';
import { WorkerOutputWriter, type WorkerOutputBatch } from '../live/worker-output.js';
import type { LiveWorkerOutputs } from '../live/worker-protocol.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { SgfwMetrics, type MetricFamily } from '../observe/metrics.js';
import { dropLogTicker } from './run-lifecycle.js';
import { RunFlowLog } from './run-flow-log.js';
import type { LiveModel } from './run-model.js';
import type { RunOptions } from './run-options.js';
import { statusSource } from './run-status-source.js';
import { packageVersion } from './version.js';

/** What a pool of live workers gives for metrics: a scrape of each. */
interface Scrapeable {
  scrape(): Promise<WorkerScrape[]>;
}

export class RunWorkerOutputs {
  /** what each worker is asked to send */
  readonly spec: LiveWorkerOutputs;
  private readonly writer: WorkerOutputWriter;
  private metrics: MetricsServer | null = null;
  private ticker: NodeJS.Timeout | null = null;

  private constructor(
    private readonly o: RunOptions,
    private readonly live: LiveModel,
    private readonly verdicts: WriteStream | null,
    private readonly flowLog: RunFlowLog | null,
    private readonly sampler: DropSampler,
  ) {
    this.spec = { verdicts: verdicts !== null, flows: flowLog !== null, dropRate: o.dropRate };
    this.writer = new WorkerOutputWriter({ verdicts, flows: flowLog, drops: o.dropRate > 0 ? { sampler, logger: o.log } : null });
  }

  /** Opens the run's output files. Each worker samples drop lines at the run's rate; this thread samples their lines again, so the log as a whole keeps to --drop-log-rate. */
  static open(o: RunOptions, live: LiveModel): RunWorkerOutputs {
    const verdicts = o.verdictsFile ? createWriteStream(o.verdictsFile) : null;
    const flowLog = RunFlowLog.open(o.flowLog, live.dataplane, live.view, o.log);
    return new RunWorkerOutputs(o, live, verdicts, flowLog, new DropSampler(o.dropRate));
  }

  /** a worker's batch of outputs (the pool's onOutput) */
  readonly take = (batch: WorkerOutputBatch): void => this.writer.take(batch);

  /** With --metrics: serves the workers' families merged, and /status summed, while `ready()` says enforcing. */
  async serveMetrics(pool: Scrapeable, mode: string, startedAt: number, ready: () => boolean): Promise<MetricsServer | null> {
    const { o, live, sampler } = this;
    if (!o.metricsAt) return null;
    let scraped: MetricFamily[] = [];
    const registry = new SgfwMetrics({ version: packageVersion() })
      .addFamilies(() => scraped)
      .addFamilies(() => live.metricFamilies());
    // The main Dataplane rebuilds on every change as each worker's does: its timings stand for theirs.
    observeRebuilds(registry, live.dataplane);
    const render = async (): Promise<string> => {
      scraped = workerMetricFamilies(await pool.scrape(), mainThreadFamilies({ reloads: live.reloads ?? undefined, dropLogsSuppressed: () => sampler.suppressedTotal }));
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

  /** Once enforcing: the once-a-second count of drop lines not logged. */
  startTicker(): void {
    this.ticker = dropLogTicker(this.sampler, this.o);
  }

  /** SIGHUP: the flow log reopened (logrotate). */
  reopen(): void {
    this.flowLog?.reopen();
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
