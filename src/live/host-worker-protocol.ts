// Host mode's part of what crosses between the main thread and its worker threads
// (live/worker-protocol.ts has the rest): each worker reads one NFQUEUE queue of a `--queue-balance`
// range and judges its packets with its own Dataplane over a mirror of the model.
import type { NfqueueStats } from '../capture/nfqueue.js';
import type { RelayCounters } from './related-relay.js';
import type { LiveWorkerInit, LiveWorkerStats } from './worker-protocol.js';

export interface HostWorkerInit extends LiveWorkerInit {
  queueNum: number;
  maxLen: number;
  failOpen: boolean;
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
}
