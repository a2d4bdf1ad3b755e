// Monitor mode's part of what crosses between the main thread and its worker threads
// (live/worker-protocol.ts has the rest): each worker opens its own AF_PACKET socket on the
// interface, both directions, in one PACKET_FANOUT group, and judges what the group gives it.
import type { AfPacketStats } from '../capture/afpacket.js';
import type { VerdictSummary } from '../dataplane/verdict-summary.js';
import type { LiveWorkerInit, LiveWorkerStats } from './worker-protocol.js';

export interface MonitorWorkerInit extends LiveWorkerInit {
  /** the interface to capture on */
  device: string;
}

/** What a worker's start says (to the next worker's: the fanout group to join; to the main thread's ready line: the link type). */
export interface MonitorWorkerStarted {
  fanout: number;
  linkType: number;
}

/** One worker's counters: its would-be verdicts (by reason and by interface), frames, flows and socket. */
export interface MonitorWorkerStats extends LiveWorkerStats, VerdictSummary {
  frames: number;
  truncated: number;
  conntrackEntries: number;
  modelVersion: number;
  capture: AfPacketStats;
}
