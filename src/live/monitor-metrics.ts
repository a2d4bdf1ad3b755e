// Monitor mode's Prometheus families, computed at scrape time: the would-be verdicts by reason
// from the Dataplane's own counters (nothing is dropped: `verdict` says what sgfw would do), the
// frames captured, and the connection-tracking table as every mode reports it.
import { isAllowed, REASON_NAMES } from '../dataplane/verdict.js';
import type { MetricFamily, MetricSample } from '../observe/metrics.js';
import { conntrackFamilies } from './host-metrics.js';
import type { Dataplane } from '../dataplane/dataplane.js';

/** What the monitor counts besides its Dataplane (a MonitorJudge's counters, a summary). */
export interface MonitorCounts {
  readonly frames: number;
  readonly truncated: number;
}

/** One monitor's families (one thread's, or one worker's: the main thread merges theirs). */
export function monitorMetricFamilies(dataplane: Dataplane, counts: MonitorCounts): MetricFamily[] {
  const byReason: MetricSample[] = [];
  dataplane.reasonCounts.forEach((n, reason) => {
    if (n > 0) byReason.push({ labels: { verdict: isAllowed(reason) ? 'allow' : 'drop', reason: REASON_NAMES[reason]! }, value: n });
  });
  const { frames, truncated } = counts;
  return [
    { name: 'sgfw_up', help: 'Whether sgfw is running (1).', type: 'gauge', samples: [{ value: 1 }] },
    {
      name: 'sgfw_packets_total',
      help: 'Frames judged in monitor mode, by the verdict sgfw would give (nothing is dropped) and its reason.',
      type: 'counter',
      samples: byReason,
    },
    { name: 'sgfw_monitor_frames_total', help: 'Frames captured.', type: 'counter', samples: [{ value: frames }] },
    { name: 'sgfw_monitor_truncated_total', help: 'Frames longer than the capture buffer (judged on what was kept).', type: 'counter', samples: [{ value: truncated }] },
    ...conntrackFamilies(dataplane),
    { name: 'sgfw_model_version', help: 'Version of the model in force; increases with every change.', type: 'gauge', samples: [{ value: dataplane.modelVersion }] },
  ];
}
