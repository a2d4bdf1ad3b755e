// Host mode's part of what crosses between the main thread and its worker threads
// (live/worker-protocol.ts has the rest): each worker reads one NFQUEUE queue of a `--queue-balance`
// range and judges its packets with its own Dataplane over a mirror of the model. Inline mode through
// the kernel bridge (`--capture nfqueue`) runs the same workers, with `bridge` set.
import type { NfqueueStats } from '../capture/nfqueue.js';
import type { RelayCounters } from './related-relay.js';
import type { LiveWorkerInit, LiveWorkerStats } from './worker-protocol.js';

export interface HostWorkerInit extends LiveWorkerInit {
  queueNum: number;
  maxLen: number;
  failOpen: boolean;
  /** inline mode through the kernel bridge: the ports, by Side, and the inside port's ifindex */
  bridge?: BridgePorts;
}

export interface BridgePorts {
  devices: [string, string];
  insideIndex: number;
}

/** A worker's per-side counters (bridge-sides.ts), by Side. */
export interface BridgeSideStats {
  received: number[];
  forwarded: number[];
  dropped: number[];
  neighbourDiscovery: number[];
  offloaded: number[];
  failures: number;
}

export interface HostWorkerStats extends LiveWorkerStats {
  packets: number;
  allowed: number;
  dropped: number;
  failedBatches: number;
  conntrackEntries: number;
  modelVersion: number;
  /** the message of the last batch whose handler threw */
  lastError: string | null;
  /** NFQUEUE counters of the worker's queue */
  queue: NfqueueStats;
  /** ICMP errors asked about across workers (live/related-relay.ts) */
  related: RelayCounters;
  /** with `bridge`: the side counters */
  sides?: BridgeSideStats;
}
