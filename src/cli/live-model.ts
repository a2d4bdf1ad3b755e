// What every live mode runs on, whatever the model's source (state files, the API, a fleet
// agent, an EC2 account): the Dataplane, the model in force and the hooks a mode calls. Its own file so the
// sources (run-model.ts, run-fleet.ts) can both name it without importing each other.
import type { Dataplane } from '../dataplane/dataplane.js';
import type { ModelView } from '../model/model-view.js';
import type { MetricFamily } from '../observe/metrics.js';
import type { AttachedApi, ListenAt } from '../api/serve-store.js';

/** `--listen HOST:PORT [--state-dir DIR]`: the EC2 API in the same process. */
export interface ApiFlags {
  listen: ListenAt;
  stateDir: string;
}

export interface LiveModel {
  readonly dataplane: Dataplane;
  /** the model in force (for the interfaces it manages) */
  readonly view: ModelView;
  readonly api: AttachedApi | null;
  /** SIGHUP reload counters; null with --listen */
  readonly reloads: { readonly reloads: number; readonly failures: number } | null;
  /** with --store: the host and the revision in force */
  readonly fleet?: { readonly hostId: string; revision(): number; readonly source: 'etcd' | 'file'; connected(): boolean; staleSeconds(): number };
  /** with --source ec2: where it reads, and how current the state in force is */
  readonly source?: {
    readonly kind: 'ec2';
    readonly region: string;
    readonly endpoint: string;
    readonly hostId: string;
    /** where the state in force at start came from */
    readonly from: 'ec2' | 'file';
    connected(): boolean;
    staleSeconds(): number;
    /** ms since the epoch: the last good poll */
    currentAt(): number;
    lastError(): string | undefined;
  };
  /** appended to the mode's ready line: `, API on …`, `, fleet host … at revision …`, or '' */
  readonly readyNote: string;
  /** what SIGHUP does, for the ready line: `, SIGHUP to reload` or '' */
  readonly hangupHint: string;
  /** families the source adds to the mode's /metrics (the fleet agent's) */
  metricFamilies(): MetricFamily[];
  /** what SIGHUP does: reload the state files, or log that there is nothing to reload; settles when done */
  hangup(): void | Promise<unknown>;
  /**
   * with the API: what an accepted call awaits before its answer (host mode's workers: the change
   * in force on every worker); the default awaits nothing, the one Dataplane being in force at once
   */
  setInForce?(inForce: () => Promise<void>): void;
  /** unsubscribes the Dataplane; with the API, stops the server and closes the store */
  close(): Promise<void>;
}
