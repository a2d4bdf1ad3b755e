// The main thread's side of a live mode that judges on that thread (host and inline; monitor mode's
// outputs are the monitor's own, live/monitor.ts): the per-packet outputs (--verdicts, --flow-log,
// sampled drop lines) opened and closed, SIGHUP, and --metrics with /status from the one Dataplane.
// The one-thread counterpart of run-workers.ts's WorkersRun.
import { createWriteStream, type WriteStream } from 'node:fs';
import { observeRebuilds } from '../live/host-metrics.js';
import { runStatus } from '../live/run-status.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { SgfwMetrics, type MetricFamily } from '../observe/metrics.js';
import { RunFlowLog } from './run-flow-log.js';
import type { LiveModel } from './run-model.js';
import type { RunOptions } from './run-options.js';
import { statusSource } from './run-status-source.js';
import { packageVersion } from './version.js';

export class ThreadRun {
  private constructor(
    private readonly o: RunOptions,
    private readonly live: LiveModel,
    /** --verdicts: one JSON line per packet */
    readonly verdicts: WriteStream | null,
    /** drop lines at --drop-log-rate */
    readonly sampler: DropSampler,
    /** --flow-log; with the API, naming its account for an interface whose groups the model does not know */
    readonly flowLog: RunFlowLog | null,
  ) {}

  /** Opens the run's output files. */
  static open(o: RunOptions, live: LiveModel): ThreadRun {
    const verdicts = o.verdictsFile ? createWriteStream(o.verdictsFile) : null;
    const flowLog = RunFlowLog.open(o.flowLog, live.dataplane, live.view, o.log, live.api?.service.accountId);
    return new ThreadRun(o, live, verdicts, new DropSampler(o.dropRate), flowLog);
  }

  /**
   * With --metrics: the server for the mode's families (`families`) and the model source's, with
   * the Dataplane's rebuild timings, /status from the Dataplane and `ready` for /readyz (without
   * it, ready as soon as it serves); null without --metrics.
   */
  async serveMetrics(mode: string, startedAt: number, families: () => MetricFamily[], ready?: () => boolean): Promise<MetricsServer | null> {
    const { o, live } = this;
    if (!o.metricsAt) return null;
    const registry = new SgfwMetrics({ version: packageVersion() })
      .addFamilies(families)
      .addFamilies(() => live.metricFamilies());
    observeRebuilds(registry, live.dataplane);
    const render = (): Promise<string> => registry.render();
    return startMetricsServer(o.metricsAt, render, { status: () => runStatus(statusSource(live, mode, startedAt)), ...(ready ? { ready } : {}) });
  }

  /** SIGHUP: the flow log reopened (logrotate), then the model's own hangup (state files, API keys, EC2 poll, fleet reconcile). */
  hangup(): void | Promise<unknown> {
    this.flowLog?.reopen();
    return this.live.hangup();
  }

  /** A start that failed: the files closed, not waited for. */
  abandon(): void {
    this.verdicts?.end();
    this.flowLog?.close();
  }

  /** After the stop: the verdict file flushed, the flow log closed. */
  async close(): Promise<void> {
    const { verdicts } = this;
    if (verdicts) await new Promise<void>((resolve) => verdicts.end(resolve));
    this.flowLog?.close();
  }
}
