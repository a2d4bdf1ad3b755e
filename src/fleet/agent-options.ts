// What a fleet agent is given (its options and log) and what it reports (its stats, what it
// applied): shared by the agent (agent.ts) and the parts it wires, and by `sgfw run --store`.
import type { EtcdAuth, EtcdTls, WatchEvent } from './etcd-types.js';
import type { ViewChange } from './agent-view.js';

export interface FleetAgentOptions {
  /** client URLs, e.g. http://127.0.0.1:23790 */
  endpoints: readonly string[];
  /** key prefix, ending in '/' (default /sgfw/) */
  prefix?: string;
  hostId: string;
  /** where the last applied state is kept (none: a restart needs etcd) */
  stateFile?: string;
  /** the region whose AWS-managed prefix lists rules may reference (default us-east-1) */
  region?: string;
  /** per request and endpoint (default 2000 ms) */
  requestTimeoutMs?: number;
  /** TLS to the members (server CA, client certificate) and etcd user */
  tls?: EtcdTls;
  auth?: EtcdAuth;
  /**
   * after this long without a word from etcd (a watch response or an answer to a progress request,
   * asked for after a third of it) the agent reports itself disconnected and stale and watches from
   * another member (default 5000 ms)
   */
  staleAfterMs?: number;
  /** quiet time after which the newest revision of the stream is applied (default 10 ms) */
  settleMs?: number;
  /** period of the reconcile (default 30 s; 0: only on demand and after reconnects) */
  reconcileIntervalMs?: number;
  /** how long a reconcile waits for differences to arrive by the watch before repairing them (default 1000 ms) */
  reconcileGraceMs?: number;
  /**
   * reconcile this long after a reconnect (default 10 s): not in the middle of the catch-up, which
   * a fleet reconnecting together would otherwise double with its listings (a relist in between
   * compares everything already, and takes its place)
   */
  reconcileAfterReconnectMs?: number;
  /** status key lease TTL (default 10 s) and write interval (default 1000 ms); ttl 0: no status key */
  statusTtlSeconds?: number;
  statusIntervalMs?: number;
  /** the state file is written at most this often (default 200 ms) */
  saveDebounceMs?: number;
  /** reconnect backoff cap (default 1000 ms) */
  backoffCapMs?: number;
  /** each log line, with its event for structured logs (default: the message on stderr) */
  onLog?: (message: string, fields?: AgentLogFields) => void;
  /** test hook: true drops a watch event as if etcd had lost it */
  dropEvent?: (event: WatchEvent) => boolean;
}

export interface FleetAgentStats {
  /** flushes that changed what is enforced (each one applyModel) */
  applies: number;
  /** revisions applied from the watch that changed something */
  revisions: number;
  /** keys found different from etcd by a reconcile, and repaired */
  repairs: number;
  /** reconnect attempts after the store became unreachable or the stream ended */
  reconnects: number;
  /** lists of every range after a compaction or a failed update */
  relists: number;
  reconciles: number;
  /** times the concerned ranges changed (watchers added and cancelled in place) or the stream was reopened for a repair */
  rewatches: number;
  /** events that came after a later revision was applied (a watcher's late backlog): each relists */
  late: number;
}

/** What a log line is about, for `sgfw run`'s JSON logs: `event` names it, `level` is how loud. */
export interface AgentLogFields {
  readonly event:
    | 'fleet-boot-from-file'
    | 'fleet-compacted'
    | 'fleet-relisted'
    | 'fleet-late-event'
    | 'fleet-repaired'
    | 'fleet-reconnected'
    | 'fleet-disconnected'
    | 'fleet-state-write-failed'
    | 'fleet-status-refused';
  readonly level: 'info' | 'warn' | 'error';
  readonly [field: string]: unknown;
}

/** What applyModel takes: undefined rebuilds everything. */
export type AppliedListener = (revision: number, change: ViewChange | undefined) => void;

export type AgentLog = (message: string, fields?: AgentLogFields) => void;
