// Inline mode's part of what crosses between the main thread and its worker threads
// (live/worker-protocol.ts has the rest): each worker opens its own AF_PACKET socket on both
// interfaces of the bridge, in one PACKET_FANOUT group per interface, and bridges what it receives.
import type { AfPacketStats } from '../capture/afpacket.js';
import type { LiveWorkerInit, LiveWorkerStats } from './worker-protocol.js';

export interface InlineWorkerInit extends LiveWorkerInit {
  /** the interfaces, by Side */
  devices: [string, string];
}

/** What a worker's start says to the next worker's: the fanout groups to join, by Side. */
export interface InlineWorkerStarted {
  fanout: [number, number];
}

/** One worker's bridge counters (InlineBridge's, per Side), its capture sockets' and its flows. */
export interface InlineWorkerStats extends LiveWorkerStats {
  frames: number;
  received: number[];
  forwarded: number[];
  dropped: number[];
  truncated: number[];
  offloaded: number[];
  offloadedSegments: number[];
  neighbourDiscovery: number[];
  injectErrors: number[];
  failures: number;
  lastError: string | null;
  conntrackEntries: number;
  modelVersion: number;
  /** by Side */
  captures: AfPacketStats[];
}
