// Prometheus metrics of a live mode judged on worker threads: each worker computes its own families
// (the same functions one thread uses, over its Dataplane, counters and queue) when asked at scrape
// time, and the main thread serves them merged (metric-merge.ts: the names and meanings of one
// worker, counts summed) plus a few per-worker series that say how the load spreads.
import { mergeFamilies, type GaugeCombine } from '../observe/metric-merge.js';
import type { MetricFamily, MetricSample } from '../observe/metrics.js';

/** What one worker answers a scrape with. */
export interface WorkerScrape {
  families: MetricFamily[];
  /** packets (frames) this worker judged */
  judged: number;
  /** its Dataplane's verdicts by reason (for /status) */
  reasonCounts: number[];
}

/** The workers' verdicts by reason, summed (what one Dataplane's reasonCounts would hold). */
export function summedReasonCounts(scrapes: readonly WorkerScrape[]): number[] {
  const sum: number[] = [];
  for (const s of scrapes) s.reasonCounts.forEach((n, i) => (sum[i] = (sum[i] ?? 0) + n));
  return sum;
}

/** A gauge's single value summed over the workers (conntrack entries, capacity). */
export function summedGauge(scrapes: readonly WorkerScrape[], name: string): number {
  return scrapes.reduce((sum, s) => sum + valueOf(s.families, name), 0);
}

/** Gauges that are not sums across workers. */
const GAUGES: Readonly<Record<string, GaugeCombine>> = {
  sgfw_up: 'min',
  // on huge pages only if every worker's table is
  sgfw_conntrack_huge_pages: 'min',
  // the version in force everywhere
  sgfw_model_version: 'min',
};

function valueOf(families: readonly MetricFamily[], name: string): number {
  return families.find((f) => f.name === name)?.samples[0]?.value ?? 0;
}

/** The workers' families merged, `main`'s (the main thread's own: reloads, drop logs) merged in, and the per-worker series. */
export function workerMetricFamilies(scrapes: readonly WorkerScrape[], main: readonly MetricFamily[] = []): MetricFamily[] {
  const each = (value: (s: WorkerScrape) => number): MetricSample[] => scrapes.map((s, i) => ({ labels: { worker: String(i) }, value: value(s) }));
  return [
    ...mergeFamilies([...scrapes.map((s) => s.families), main], GAUGES),
    { name: 'sgfw_workers', help: 'Worker threads judging packets.', type: 'gauge', samples: [{ value: scrapes.length }] },
    { name: 'sgfw_worker_packets_total', help: 'Packets judged, by worker thread.', type: 'counter', samples: each((s) => s.judged) },
    { name: 'sgfw_worker_conntrack_entries', help: "Flows in each worker's connection-tracking table.", type: 'gauge', samples: each((s) => valueOf(s.families, 'sgfw_conntrack_entries')) },
    { name: 'sgfw_worker_model_version', help: 'Version of the model in force on each worker.', type: 'gauge', samples: each((s) => valueOf(s.families, 'sgfw_model_version')) },
  ];
}
