// The fleet agent's Prometheus families (issue 9), computed at scrape time from what the agent
// keeps anyway; `sgfw run --store …` adds them to its own (live/host-metrics.ts).
import type { MetricFamily } from '../observe/metrics.js';
import type { FleetAgent } from './agent.js';

export function fleetMetricFamilies(agent: FleetAgent, now = Date.now()): MetricFamily[] {
  const host = { host_id: agent.hostId };
  const one = (value: number): { labels: Record<string, string>; value: number }[] => [{ labels: host, value }];
  return [
    { name: 'sgfw_fleet_applied_revision', help: 'The etcd revision whose state this agent enforces.', type: 'gauge', samples: one(agent.appliedRevision) },
    {
      name: 'sgfw_fleet_stale_seconds',
      help: 'Seconds since the agent last knew its state current (0 while its watch is up).',
      type: 'gauge',
      samples: one(agent.staleSeconds(now)),
    },
    { name: 'sgfw_fleet_connected', help: 'Whether the agent\'s watch on etcd is up (1).', type: 'gauge', samples: one(agent.connected ? 1 : 0) },
    { name: 'sgfw_fleet_repairs_total', help: 'Keys a reconcile found different from etcd (lost watch events) and repaired.', type: 'counter', samples: one(agent.stats.repairs) },
    { name: 'sgfw_fleet_reconnects_total', help: 'Reconnect attempts after the watch on etcd failed.', type: 'counter', samples: one(agent.stats.reconnects) },
    { name: 'sgfw_fleet_relists_total', help: 'Full lists of the concerned keys after a compacted revision, a failed update or a late event.', type: 'counter', samples: one(agent.stats.relists) },
    { name: 'sgfw_fleet_late_events_total', help: 'Events that came after a later revision was applied (a watcher\'s late backlog); each makes the agent list again.', type: 'counter', samples: one(agent.stats.late) },
    { name: 'sgfw_fleet_applies_total', help: 'Changes applied to the dataplane from etcd.', type: 'counter', samples: one(agent.stats.applies) },
  ];
}
