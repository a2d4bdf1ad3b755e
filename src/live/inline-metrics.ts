// Inline mode's Prometheus families: host mode's (packets and bytes by managed interface and reason,
// conntrack, classifier, reloads) without the NFQUEUE ones, plus the bridge's per-side counters.
// `sgfw_inline_*` counts what reached sgfw; `sgfw_capture_*` what the kernel offered each capture
// socket and dropped before sgfw read it (PACKET_STATISTICS of the AF_PACKET ring). With
// `--capture pcap` those two are absent: `cap` does not expose pcap_stats. With `--capture nfqueue`
// (the kernel bridge forwards, sgfw judges through NFQUEUE) the side counters are bridge-sides.ts's
// and the NFQUEUE families of host mode come instead of the capture sockets'.
import type { NfqueueStats } from '../capture/nfqueue.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import type { MetricFamily, MetricSample } from '../observe/metrics.js';
import { SIDE_NAMES } from './inline-bridge.js';
import { hostMetricFamilies } from './host-metrics.js';
import type { RelayCounters } from './related-relay.js';
import type { VerdictCounts } from './verdict-duties.js';

/** The per-side counters of either inline path (InlineBridge, BridgeSideCounts), by Side. */
export interface InlineCounts {
  readonly received: Float64Array;
  readonly forwarded: Float64Array;
  readonly dropped: Float64Array;
  readonly neighbourDiscovery: Float64Array;
  readonly offloaded: Float64Array;
  /** absent where the capture does not say (NFQUEUE) */
  readonly offloadedSegments?: Float64Array;
  readonly truncated: Float64Array;
  readonly injectErrors: Float64Array;
  readonly failures: number;
}

export interface InlineMetricSources {
  readonly dataplane: Dataplane;
  /** the side counters */
  readonly bridge: InlineCounts;
  /** packets and bytes by managed interface and reason (InlineBridge.counters, HostEnforcer) */
  readonly verdicts: VerdictCounts;
  /** --capture nfqueue: the queue's counters, and ICMP errors asked about across workers */
  readonly queue?: () => NfqueueStats;
  readonly related?: () => RelayCounters;
  /** the interface names, by Side */
  readonly devices: readonly [string, string];
  readonly reloads?: { readonly reloads: number; readonly failures: number };
  readonly dropLogsSuppressed?: () => number;
  /** per Side, the capture socket's kernel counters (read at each scrape); absent or null: none */
  readonly captureStats?: (side: number) => CaptureCounts | null;
}

export interface CaptureCounts {
  /** frames the kernel offered the socket, those it dropped included */
  readonly packets: number;
  /** frames dropped because sgfw fell behind (ring full) */
  readonly drops: number;
}

function bySide(counts: Float64Array, devices: readonly [string, string]): MetricSample[] {
  return [0, 1].map((side) => ({ labels: { side: SIDE_NAMES[side]!, device: devices[side]! }, value: counts[side]! }));
}

export function inlineMetricFamilies(s: InlineMetricSources): MetricFamily[] {
  const { bridge, devices } = s;
  const families = hostMetricFamilies({
    dataplane: s.dataplane,
    enforcer: s.verdicts,
    reloads: s.reloads,
    dropLogsSuppressed: s.dropLogsSuppressed,
    ...(s.queue ? { queue: s.queue } : {}),
    ...(s.related ? { related: s.related } : {}),
  });
  families.push(
    { name: 'sgfw_inline_frames_received_total', help: 'Frames captured, by the side they came in on.', type: 'counter', samples: bySide(bridge.received, devices) },
    { name: 'sgfw_inline_frames_forwarded_total', help: 'Frames injected out of the other side, by the side they came in on.', type: 'counter', samples: bySide(bridge.forwarded, devices) },
    { name: 'sgfw_inline_frames_dropped_total', help: 'Frames not forwarded, by the side they came in on.', type: 'counter', samples: bySide(bridge.dropped, devices) },
    {
      name: 'sgfw_inline_neighbour_discovery_total',
      help: 'IPv6 neighbour discovery frames passed as link control although no rule allowed them.',
      type: 'counter',
      samples: bySide(bridge.neighbourDiscovery, devices),
    },
    {
      name: 'sgfw_inline_offloaded_frames_total',
      help: 'Frames that came in as offloaded super-frames (TSO/GSO/GRO), judged and forwarded or dropped whole, by the side they came in on.',
      type: 'counter',
      samples: bySide(bridge.offloaded, devices),
    },
    ...(bridge.offloadedSegments
      ? [{
        name: 'sgfw_inline_offloaded_segments_total',
        help: 'The wire-sized segments those offloaded frames stand for, by the side they came in on.',
        type: 'counter' as const,
        samples: bySide(bridge.offloadedSegments, devices),
      }]
      : []),
    { name: 'sgfw_inline_truncated_total', help: 'Frames longer than the capture buffer (dropped).', type: 'counter', samples: bySide(bridge.truncated, devices) },
    { name: 'sgfw_inline_inject_errors_total', help: 'Frames the kernel refused to send, by the side they were to go out of.', type: 'counter', samples: bySide(bridge.injectErrors, devices) },
    { name: 'sgfw_inline_failures_total', help: 'Frames whose handling failed (dropped).', type: 'counter', samples: [{ value: bridge.failures }] },
  );
  const stats = s.captureStats ? [s.captureStats(0), s.captureStats(1)] : [null, null];
  const captured = (pick: (c: CaptureCounts) => number): MetricSample[] =>
    stats.flatMap((c, side) => (c ? [{ labels: { side: SIDE_NAMES[side]!, device: devices[side]! }, value: pick(c) }] : []));
  if (stats.some((c) => c !== null)) {
    families.push(
      { name: 'sgfw_capture_packets_total', help: 'Frames the kernel offered the capture socket, dropped ones included (PACKET_STATISTICS).', type: 'counter', samples: captured((c) => c.packets) },
      { name: 'sgfw_capture_drops_total', help: 'Frames the kernel dropped before sgfw read them: the capture ring was full (PACKET_STATISTICS).', type: 'counter', samples: captured((c) => c.drops) },
    );
  }
  return families;
}
