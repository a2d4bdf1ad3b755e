// The EC2 source's Prometheus families, computed at scrape time from what the source keeps anyway;
// `sgfw run --source ec2` adds them to its mode's /metrics, as the fleet agent adds its own.
import type { MetricFamily } from '../observe/metrics.js';
import type { Ec2Source } from './ec2-source.js';

export function sourceMetricFamilies(source: Ec2Source, labels: { region: string; host_id: string }, now = Date.now()): MetricFamily[] {
  const one = (value: number): { labels: Record<string, string>; value: number }[] => [{ labels, value }];
  let interfaces = 0;
  for (const _ of source.interfaces()) interfaces++;
  return [
    { name: 'sgfw_source_connected', help: 'Whether the last poll of the EC2 endpoint succeeded (1): the state in force is current.', type: 'gauge', samples: one(source.connected ? 1 : 0) },
    { name: 'sgfw_source_stale_seconds', help: 'Seconds since the state in force was last known current (0 while polls succeed).', type: 'gauge', samples: one(source.staleSeconds(now)) },
    { name: 'sgfw_source_current_timestamp_seconds', help: 'When the state in force was last known current (the last good poll), seconds since the epoch.', type: 'gauge', samples: one(source.currentAt / 1000) },
    { name: 'sgfw_source_interfaces', help: 'Interfaces of the account this host enforces.', type: 'gauge', samples: one(interfaces) },
    { name: 'sgfw_source_polls_total', help: 'Polls of the EC2 endpoint.', type: 'counter', samples: one(source.stats.polls) },
    { name: 'sgfw_source_poll_failures_total', help: 'Polls that failed (endpoint unreachable, an error answer, a listing that does not load); the state in force stayed.', type: 'counter', samples: one(source.stats.failures) },
    { name: 'sgfw_source_throttled_total', help: 'Polls EC2 throttled (RequestLimitExceeded) past the SDK\'s retries; each doubles the wait before the next poll.', type: 'counter', samples: one(source.stats.throttled) },
    { name: 'sgfw_source_changes_total', help: 'Polls that changed what is enforced.', type: 'counter', samples: one(source.stats.changes) },
    { name: 'sgfw_source_api_calls_total', help: 'EC2 API calls made (one per page).', type: 'counter', samples: one(source.calls) },
  ];
}
