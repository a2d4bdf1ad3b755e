// Host mode's Prometheus families, computed at scrape time from counters the enforcer, the
// Dataplane, conntrack and the NFQUEUE binding keep anyway: a scrape costs no per-packet work.
import type { NfqueueStats } from '../capture/nfqueue.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import { isAllowed, REASON_COUNT, REASON_NAMES } from '../dataplane/verdict.js';
import { Histogram } from 'prom-client';
import type { MetricFamily, MetricSample, SgfwMetrics } from '../observe/metrics.js';
import type { RelayCounters } from './related-relay.js';
import type { VerdictCounts } from './verdict-duties.js';

export interface HostMetricSources {
  readonly dataplane: Dataplane;
  /** the loop's packet and byte counters (HostEnforcer, InlineBridge.counters) */
  readonly enforcer: VerdictCounts;
  /** the NFQUEUE (host mode, inline mode's --capture nfqueue); absent: no queue (inline mode's AF_PACKET and pcap) */
  readonly queue?: () => NfqueueStats;
  /** host mode on workers: ICMP errors asked about across workers (related-relay.ts); absent: zeros */
  readonly related?: () => RelayCounters;
  readonly reloads?: { readonly reloads: number; readonly failures: number };
  readonly dropLogsSuppressed?: () => number;
}

// Milliseconds for a few interfaces, seconds for tens of thousands of rules.
const REBUILD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * sgfw_classifier_rebuild_seconds: a histogram of every classifier rebuild from now on, the one
 * that built the dataplane's current rules included. Observed when a rebuild ends (a model change,
 * a reload), never per packet.
 */
export function observeRebuilds(metrics: SgfwMetrics, dataplane: Dataplane): Histogram {
  const h = new Histogram({
    name: 'sgfw_classifier_rebuild_seconds',
    help: 'Duration of classifier rebuilds (model changes, reloads; the first build included).',
    buckets: REBUILD_BUCKETS,
    registers: [metrics.registry],
  });
  h.observe(dataplane.lastRebuildMs / 1000);
  dataplane.onRebuilt = (ms) => h.observe(ms / 1000);
  return h;
}

/** The interface label of a counter slot (see VerdictDuties.packetCounts). */
function interfaceLabel(dataplane: Dataplane, slot: number): string {
  if (slot === 0) return 'none';
  return dataplane.interfaceAt(slot - 1)?.interfaceId ?? `removed-${slot - 1}`;
}

function byInterfaceAndReason(dataplane: Dataplane, counts: Float64Array): MetricSample[] {
  const samples: MetricSample[] = [];
  for (let at = 0; at < counts.length; at++) {
    if (counts[at] === 0) continue;
    const reason = at % REASON_COUNT;
    samples.push({
      labels: {
        interface: interfaceLabel(dataplane, Math.floor(at / REASON_COUNT)),
        verdict: isAllowed(reason) ? 'allow' : 'drop',
        reason: REASON_NAMES[reason],
      },
      value: counts[at],
    });
  }
  return samples;
}

const one = (value: number): MetricSample[] => [{ value }];

/** The connection-tracking table's families: every mode has one (monitor-metrics.ts too). */
export function conntrackFamilies(dataplane: Dataplane): MetricFamily[] {
  const ct = dataplane.conntrack;
  return [
    { name: 'sgfw_conntrack_entries', help: 'Flows in the connection-tracking table.', type: 'gauge', samples: one(ct.size) },
    { name: 'sgfw_conntrack_capacity', help: 'Flows the connection-tracking table can hold.', type: 'gauge', samples: one(ct.capacity) },
    {
      name: 'sgfw_conntrack_huge_pages',
      help: 'The table is on transparent huge pages (1), or on 4 KiB pages (0: the hugepages addon is not built, or the kernel refused).',
      type: 'gauge',
      samples: one(ct.memoryKind === 'huge-pages' ? 1 : 0),
    },
    { name: 'sgfw_conntrack_inserts_total', help: 'Flows added to the table.', type: 'counter', samples: one(ct.inserts) },
    { name: 'sgfw_conntrack_expired_total', help: 'Flows removed after their timeout.', type: 'counter', samples: one(ct.expired) },
    { name: 'sgfw_conntrack_evictions_total', help: 'Flows evicted to make room (all kinds).', type: 'counter', samples: one(ct.evictions) },
    {
      name: 'sgfw_conntrack_evictions_by_kind_total',
      help: 'Flows evicted to make room, by kind: unanswered (early drop of a flow never answered) or over_share (an answered flow of an interface holding more than its share).',
      type: 'counter',
      samples: [
        { labels: { kind: 'unanswered' }, value: ct.evictedUnanswered },
        { labels: { kind: 'over_share' }, value: ct.evictedOverShare },
      ],
    },
    {
      name: 'sgfw_conntrack_early_expired_total',
      help: 'Unanswered flows removed after the 10-second timeout they get while the table is at least 90% full.',
      type: 'counter',
      samples: one(ct.earlyExpired),
    },
    {
      name: 'sgfw_conntrack_share_refusals_total',
      help: "Flows not tracked because the table was full and their interface held its share (also in insert_failures).",
      type: 'counter',
      samples: one(ct.shareRefusals),
    },
    {
      name: 'sgfw_conntrack_insert_failures_total',
      help: 'Flows allowed by rules but left untracked because the table was full and nothing could give way.',
      type: 'counter',
      samples: one(ct.insertFailures),
    },
  ];
}

export function hostMetricFamilies(s: HostMetricSources): MetricFamily[] {
  const { dataplane } = s;
  const families: MetricFamily[] = [
    { name: 'sgfw_up', help: 'Whether sgfw is enforcing (1).', type: 'gauge', samples: one(1) },
    {
      name: 'sgfw_packets_total',
      help: 'Packets judged, by managed interface (none: touched no managed interface), verdict and reason.',
      type: 'counter',
      samples: byInterfaceAndReason(dataplane, s.enforcer.packetCounts),
    },
    {
      name: 'sgfw_bytes_total',
      help: 'Bytes of the IP packets judged (as queued), by managed interface, verdict and reason.',
      type: 'counter',
      samples: byInterfaceAndReason(dataplane, s.enforcer.byteCounts),
    },
    ...conntrackFamilies(dataplane),
    { name: 'sgfw_model_version', help: 'Version of the model in force; increases with every change and reload.', type: 'gauge', samples: one(dataplane.modelVersion) },
  ];
  if (s.queue) {
    const q = s.queue();
    families.push(
      { name: 'sgfw_nfqueue_packets_total', help: 'Packets received from NFQUEUE.', type: 'counter', samples: one(q.received) },
      { name: 'sgfw_nfqueue_batches_total', help: 'Batches received from NFQUEUE.', type: 'counter', samples: one(q.batches) },
      {
        name: 'sgfw_nfqueue_enobufs_total',
        help: 'Times the kernel reported ENOBUFS: packets lost because sgfw read too slowly.',
        type: 'counter',
        samples: one(q.enobufs),
      },
      { name: 'sgfw_nfqueue_overflows_total', help: 'Packets the binding could not fit in a batch.', type: 'counter', samples: one(q.overflows) },
      { name: 'sgfw_nfqueue_verdict_errors_total', help: 'Verdicts the kernel refused.', type: 'counter', samples: one(q.verdictErrors) },
      {
        name: 'sgfw_nfqueue_gso_packets_total',
        help: 'Packets queued whole as GSO super-packets (segmented by the kernel after the verdict).',
        type: 'counter',
        samples: one(q.gsoPackets),
      },
      { name: 'sgfw_nfqueue_headers_only_total', help: 'Packets of which the kernel copied only the headers (longer than the copy range).', type: 'counter', samples: one(q.headersOnly) },
    );
  }
  if (s.queue) {
    // one thread asks nobody: zeros, so the families are the same on 1 worker as on N
    const r = s.related?.() ?? { deferred: 0, handedOver: 0, timeouts: 0, overflows: 0 };
    families.push({
      name: 'sgfw_related_asks_total',
      help: "ICMP errors a worker would drop and asked the other workers about, by outcome: asked, handed_over (another worker tracks the flow: related), timeout (dropped, no answer in time), overflow (dropped at once: too many questions open).",
      type: 'counter',
      samples: [
        { labels: { outcome: 'asked' }, value: r.deferred },
        { labels: { outcome: 'handed_over' }, value: r.handedOver },
        { labels: { outcome: 'timeout' }, value: r.timeouts },
        { labels: { outcome: 'overflow' }, value: r.overflows },
      ],
    });
  }
  families.push(...mainThreadFamilies(s));
  return families;
}

/**
 * The families of what the thread that keeps the model counts (SIGHUP reloads, drop lines held
 * back): with worker threads, the main thread serves these beside the workers' merged families.
 */
export function mainThreadFamilies(s: Pick<HostMetricSources, 'reloads' | 'dropLogsSuppressed'>): MetricFamily[] {
  const families: MetricFamily[] = [];
  if (s.reloads) {
    families.push({
      name: 'sgfw_reloads_total',
      help: 'SIGHUP state reloads, by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'ok' }, value: s.reloads.reloads },
        { labels: { result: 'error' }, value: s.reloads.failures },
      ],
    });
  }
  if (s.dropLogsSuppressed) {
    families.push({
      name: 'sgfw_drop_logs_suppressed_total',
      help: 'Dropped packets not logged because of the drop-log rate limit.',
      type: 'counter',
      samples: one(s.dropLogsSuppressed()),
    });
  }
  return families;
}
