// The fleet agent (issue 9): enforces the interfaces registered to one host (`HostId`) from the
// state the API servers keep in etcd, following it through a watch.
//
// Watch shape: one gRPC watch stream per agent carrying one watcher per concerned range
// (agent-view.ts lists them: the host index, its interfaces, their groups, the members of
// referenced groups, the referenced prefix lists). Per range, not one watcher on the whole prefix
// with client-side filtering: etcd delivers an event only to watchers whose range holds its key, so
// a change costs work and bandwidth for the agents it concerns and nothing for the others. A
// membership change of a group referenced by every host reaches every host, a rule change of one
// group reaches the hosts enforcing it, and a thousand agents do not each decode every change of
// the fleet. One stream, not one per range: etcd queues every watcher of a stream on one channel,
// so a revision reaches the agent for all its synced watchers before the next revision for any,
// and the agent can apply a transaction whole. When the concerned ranges change, the agent lists
// the new ranges at the revision it applied and adds their watchers to the open stream from the
// next revision (and cancels those of ranges no longer concerned).
//
// Order: events are grouped by revision and a revision is applied once a later one arrived on the
// stream or the stream stayed quiet for `settleMs` (etcd sends a revision's responses for all
// watchers back to back). Each key keeps its mod_revision, so an event older than what is held (a
// repeat after a reconnect) changes nothing. Every flush is one `applyModel(change)`: whole
// transactions, in revision order.
//
// Store down or silent: the last applied state stays in force (the Dataplane keeps its compiled classifiers),
// is kept on disk after each applied revision (agent-state-file.ts) and boots the agent when etcd is
// unreachable at start. Reconnects use a jittered backoff capped near one second and resume from the
// applied revision + 1; a compacted revision makes the agent list its ranges at a new revision and
// apply the difference. Lost events (etcd 3.4's watch bugs, etcd-io/etcd #17529, #18089) are found by
// the periodic reconcile: list every concerned range at the applied revision, compare, repair, count.
//
// Parts: what is applied (agent-applied.ts), the watch and its settle timers (agent-follow.ts), the
// reconcile (agent-reconcile.ts), the state file (agent-save.ts), contact with etcd
// (agent-contact.ts), the status key (agent-status.ts). This file wires them and owns the lifecycle.
import type { ModelView } from '../model/model-view.js';
import { HOST_ID_PATTERN } from '../control/service.js';
import { EtcdClient } from './etcd-client.js';
import { EtcdUnavailable } from './etcd-types.js';
import { FleetView, isEmptyChange, type ViewChange } from './agent-view.js';
import type { AgentLog, AppliedListener, FleetAgentOptions, FleetAgentStats } from './agent-options.js';
import { AppliedState } from './agent-applied.js';
import { EtcdContact } from './agent-contact.js';
import { WatchFollower } from './agent-follow.js';
import { Reconciler } from './agent-reconcile.js';
import { StateSaver } from './agent-save.js';
import { AgentStatusReporter } from './agent-status.js';
import { DEFAULT_PREFIX, KeyLayout } from './key-layout.js';

/** how long a stopping agent waits for etcd to revoke its status lease */
const STATUS_REVOKE_MS = 1000;

export class FleetAgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetAgentError';
  }
}

export class FleetAgent {
  readonly stats: FleetAgentStats = { applies: 0, revisions: 0, repairs: 0, reconnects: 0, relists: 0, reconciles: 0, rewatches: 0, late: 0 };
  readonly view: FleetView;
  readonly layout: KeyLayout;
  readonly client: EtcdClient;
  private readonly applied: AppliedState;
  private readonly contact: EtcdContact;
  private readonly follower: WatchFollower;
  private readonly reconciler: Reconciler;
  private readonly saver: StateSaver;
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private status: AgentStatusReporter | undefined;
  private readonly log: AgentLog;

  constructor(private readonly options: FleetAgentOptions) {
    if (!HOST_ID_PATTERN.test(options.hostId)) throw new FleetAgentError(`--host-id '${options.hostId}': 1 to 128 letters, digits, '.', '_', ':' or '-'`);
    this.layout = new KeyLayout(options.prefix ?? DEFAULT_PREFIX);
    this.client = new EtcdClient(options.endpoints, { requestTimeoutMs: options.requestTimeoutMs, tls: options.tls, auth: options.auth });
    this.view = new FleetView(this.layout, options.hostId, options.region);
    this.log = options.onLog ?? ((m: string) => void process.stderr.write(`sgfw: ${m}\n`));
    const stop = this.stopSignal.signal;
    this.applied = new AppliedState(this.view, this.layout, this.client, options.hostId, options.region, this.stats, () => this.saver.schedule());
    this.contact = new EtcdContact(options.hostId, this.log, () => this.applied.revision, () => this.reconciler.scheduleSoon());
    this.follower = new WatchFollower(this.applied, this.contact, this.stats, options, this.log, stop, () => this.reconciler.cancelSoon());
    this.reconciler = new Reconciler(this.applied, this.follower, this.contact, this.stats, options, this.log, stop);
    this.saver = new StateSaver(options.stateFile, options.saveDebounceMs ?? 200, { prefix: this.layout.prefix, hostId: options.hostId }, this.applied, this.contact, this.log, stop);
  }

  /** What the Dataplane compiles from: this host's interfaces and what their rules reference. */
  get model(): ModelView {
    return this.view;
  }

  get hostId(): string {
    return this.options.hostId;
  }

  /** the etcd revision whose state is in force */
  get appliedRevision(): number {
    return this.applied.revision;
  }

  /** whether the watch stream is up (the state in force is current) */
  get connected(): boolean {
    return this.contact.connected;
  }

  /** 0 while connected; else seconds since the agent last knew its state current */
  staleSeconds(now = Date.now()): number {
    return this.contact.staleSeconds(now);
  }

  /** Called after every applied flush, with what changed (undefined: everything may have). */
  onApplied(listener: AppliedListener): () => void {
    return this.applied.onApplied(listener);
  }

  /** Keeps a Dataplane (built on `model`) in step: one applyModel per applied flush. */
  attach(target: { applyModel(change?: ViewChange): void }): () => void {
    return this.onApplied((_revision, change) => {
      if (change === undefined || !isEmptyChange(change)) target.applyModel(change);
    });
  }

  /**
   * Loads the state (from etcd, or from the state file when etcd is unreachable) and starts
   * following. FleetAgentError when neither is possible.
   */
  async start(): Promise<{ source: 'etcd' | 'file'; revision: number }> {
    let source: 'etcd' | 'file' = 'etcd';
    try {
      const listing = await this.applied.listConcerned();
      await this.applied.queue.run(async () => this.applied.install(listing));
      this.contact.reached();
    } catch (e) {
      if (!(e instanceof EtcdUnavailable)) throw e;
      const doc = await this.saver.read();
      if (doc === undefined) {
        throw new FleetAgentError(`etcd is unreachable and ${this.options.stateFile === undefined ? 'no --state-file was given' : `${this.options.stateFile} does not exist`}: ${e.message}`);
      }
      const kvs = new Map(doc.keys.map(([k, v, m]) => [k, { value: v, modRevision: m }] as const));
      await this.applied.queue.run(async () => this.applied.install({ revision: doc.revision, kvs }));
      this.contact.bootedWithout(doc.currentAt);
      source = 'file';
      this.log(`fleet agent ${this.hostId}: etcd unreachable (${e.message}); enforcing revision ${doc.revision} from ${this.options.stateFile}, current as of ${new Date(doc.currentAt).toISOString()}`, {
        event: 'fleet-boot-from-file', level: 'warn', revision: doc.revision, file: this.options.stateFile, currentAt: new Date(doc.currentAt).toISOString(), error: e.message,
      });
    }
    this.loop = this.follower.run();
    const ttl = this.options.statusTtlSeconds ?? 10;
    if (ttl > 0) {
      const key = this.layout.status(this.hostId);
      this.status = new AgentStatusReporter(this.client, key, () => ({
        hostId: this.hostId, revision: this.applied.revision, interfaces: [...this.view.interfaces()].length, at: Date.now(),
      }), ttl, this.options.statusIntervalMs ?? 1000, (reason) => this.log(
        `fleet agent ${this.hostId}: etcd refused writing its status key ${key} (${reason}): grant this agent's etcd user write on that key, or give the --host-id its user is for; enforcing goes on, unreported`,
        { event: 'fleet-status-refused', level: 'error', key, error: reason },
      ));
      this.status.start();
    }
    this.reconciler.startPeriodic(this.options.reconcileIntervalMs ?? 30_000);
    return { source, revision: this.applied.revision };
  }

  /**
   * Stops following, revokes the status lease (etcd is given STATUS_REVOKE_MS for it: stopping
   * is not held by a frozen or unreachable etcd) and writes the state file a last time. Whether
   * the status key was revoked (false: it expires with its lease).
   */
  async stop(): Promise<boolean> {
    if (this.stopSignal.signal.aborted) return false;
    this.stopSignal.abort();
    this.follower.stop();
    this.reconciler.stop();
    this.saver.cancel();
    const revoked = (await this.status?.stop(STATUS_REVOKE_MS)) ?? true;
    // whatever still waits on etcd (a listing, a reconcile, a status write) fails now
    this.client.close();
    await this.loop;
    await this.applied.queue.idle();
    await this.saver.saveNow();
    return revoked;
  }

  /** See agent-reconcile.ts. Returns the keys repaired. */
  reconcile(): Promise<number> {
    return this.reconciler.reconcile();
  }

  /** Writes the state file now (after pending writes). */
  saveNow(): Promise<void> {
    return this.saver.saveNow();
  }
}
