// What a running sgfw says about itself at GET /status (and `sgfw status` prints): the mode, the
// interfaces it manages, the model version in force, how full the conntrack table is, what it has
// allowed and dropped (by reason), and, for a fleet agent, the revision in force and how stale it
// is, for an EC2 source (`--source ec2`), where it reads and how stale the state in force is. Built on request, off the per-packet path: it allocates.
import type { Dataplane } from '../dataplane/dataplane.js';
import { isAllowed, REASON_NAMES } from '../dataplane/verdict.js';
import type { ModelView } from '../model/model-view.js';

export interface FleetStatus {
  hostId: string;
  revision: number;
  connected: boolean;
  staleSeconds: number;
}

export interface Ec2SourceStatus {
  region: string;
  endpoint: string;
  hostId: string;
  /** the last poll succeeded */
  connected: boolean;
  staleSeconds: number;
  /** the last good poll, ISO 8601 */
  currentAt: string;
  /** the last poll's failure, while polls fail */
  error?: string;
}

export interface RunStatus {
  status: 'running';
  mode: string;
  pid: number;
  uptimeSeconds: number;
  interfaces: string[];
  modelVersion: number;
  conntrack: { entries: number; capacity: number };
  allowed: number;
  dropped: number;
  dropsByReason: Record<string, number>;
  /** the EC2 API beside enforcement (`--listen`), HOST:PORT */
  api?: string;
  fleet?: FleetStatus;
  ec2?: Ec2SourceStatus;
}

export interface RunStatusSource {
  mode: string;
  dataplane: Dataplane;
  view: ModelView;
  /** Date.now() when the process started its work */
  startedAt: number;
  api?: string;
  fleet?: () => FleetStatus;
  ec2?: () => Ec2SourceStatus;
  /** where worker threads judge (host mode's --workers): their counts summed, in place of the dataplane's own */
  judged?: { reasonCounts: ArrayLike<number>; conntrackEntries: number; conntrackCapacity: number };
}

export function runStatus(s: RunStatusSource, now = Date.now()): RunStatus {
  const dropsByReason: Record<string, number> = {};
  let allowed = 0;
  let dropped = 0;
  const counts = s.judged?.reasonCounts ?? s.dataplane.reasonCounts;
  for (let reason = 0; reason < counts.length; reason++) {
    const n = counts[reason];
    if (n === 0) continue;
    if (isAllowed(reason)) {
      allowed += n;
      continue;
    }
    dropped += n;
    dropsByReason[REASON_NAMES[reason]] = n;
  }
  return {
    status: 'running',
    mode: s.mode,
    pid: process.pid,
    uptimeSeconds: Math.round((now - s.startedAt) / 100) / 10,
    interfaces: [...s.view.interfaces()].map((i) => i.interfaceId),
    modelVersion: s.dataplane.modelVersion,
    conntrack: s.judged
      ? { entries: s.judged.conntrackEntries, capacity: s.judged.conntrackCapacity }
      : { entries: s.dataplane.conntrack.size, capacity: s.dataplane.conntrack.capacity },
    allowed,
    dropped,
    dropsByReason,
    ...(s.api === undefined ? {} : { api: s.api }),
    ...(s.fleet === undefined ? {} : { fleet: s.fleet() }),
    ...(s.ec2 === undefined ? {} : { ec2: s.ec2() }),
  };
}
