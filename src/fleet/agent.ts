// The fleet agent (issue 9): enforces the interfaces registered to one host (`HostId`) from the
// state the API servers keep in etcd, following it through a watch.
//
// Watch shape: one watch stream per agent carrying one watcher per concerned range (agent-view.ts
// lists them: the host index, its interfaces, their groups, the members of referenced groups, the
// referenced prefix lists). Per range, not one watcher on the whole prefix with client-side
// filtering: etcd delivers an event only to watchers whose range holds its key, so a change costs
// work and bandwidth for the agents it concerns and nothing for the others. A membership change
// of a group referenced by every host reaches every host, a rule change of one group reaches the
// hosts enforcing it, and a thousand agents do not each decode every change of the fleet. One
// stream, not one per range: etcd queues every watcher of a stream on one channel, so a revision
// reaches the agent for all its watchers before the next revision for any, and the agent can apply
// a transaction whole; separate streams (the gateway takes one POST per stream) would give no
// order between ranges. The gateway cannot add a watcher to an open stream over HTTP/1.1, so when
// the concerned ranges change the agent lists the new ranges at the revision it applied and opens
// a new stream from the next revision.
//
// Order: events are grouped by revision and a revision is applied once a later one arrived on the
// stream or the stream stayed quiet for `settleMs` (etcd sends a revision's responses for all
// watchers back to back). Each key keeps its mod_revision, so an event older than what is held (a
// repeat after a reconnect) changes nothing. Every flush is one `applyModel(change)`: whole
// transactions, in revision order.
//
// Store down: the last applied state stays in force (the Dataplane keeps its compiled classifiers),
// is kept on disk after each applied revision (agent-state-file.ts) and boots the agent when etcd is
// unreachable at start. Reconnects use a jittered backoff capped near one second and resume from the
// applied revision + 1; a compacted revision makes the agent list its ranges at a new revision and
// apply the difference. Lost events (etcd 3.4's watch bugs, etcd-io/etcd #17529, #18089) are found by
// the periodic reconcile: list every concerned range at the applied revision, compare, repair, count.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModelView } from '../model/model-view.js';
import { EtcdCompacted, EtcdGateway, EtcdUnavailable, EtcdWatchIncomplete, type WatchEvent } from './etcd-gateway.js';
import { FleetView, isEmptyChange, mergeChanges, rangeEnd, type ConcernedRange, type KeyEvent, type ViewChange } from './agent-view.js';
import { readAgentState, writeAgentState, AGENT_STATE_FORMAT } from './agent-state-file.js';
import { AgentStatusReporter } from './agent-status.js';
import { DEFAULT_PREFIX, KeyLayout } from './key-layout.js';
import { HOST_ID_PATTERN } from '../control/service.js';

/**
 * How long a new stream's catch-up must stay quiet before it is applied: longer than the 100 ms
 * period at which etcd brings watchers that start behind up to date.
 */
const CATCH_UP_QUIET_MS = 150;

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
  /**
   * A watch stream quiet this long is reopened from the applied revision + 1 (default 240 s): Node's
   * fetch (undici) ends a response body that sent nothing for 300 s, and etcd 3.4 sends a quiet
   * watcher nothing (progress notifications come every 10 min at best), so without this a quiet
   * fleet would see a spurious "lost etcd" every five minutes.
   */
  idleReopenMs?: number;
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
  /** times the concerned ranges changed and the stream was reopened */
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
    | 'fleet-state-write-failed';
  readonly level: 'info' | 'warn' | 'error';
  readonly [field: string]: unknown;
}

/** What applyModel takes: undefined rebuilds everything. */
export type AppliedListener = (revision: number, change: ViewChange | undefined) => void;

export class FleetAgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetAgentError';
  }
}

interface Listing {
  revision: number;
  kvs: Map<string, { value: string; modRevision: number }>;
}

const rangeId = (r: ConcernedRange): string => (r.prefix ? `${r.key}*` : r.key);

export class FleetAgent {
  readonly stats: FleetAgentStats = { applies: 0, revisions: 0, repairs: 0, reconnects: 0, relists: 0, reconciles: 0, rewatches: 0, late: 0 };
  readonly view: FleetView;
  readonly layout: KeyLayout;
  readonly gateway: EtcdGateway;
  private applied = 0;
  private connectedNow = false;
  /** lost etcd (or booted without it) since the last contact: the next contact logs and reconciles */
  private wasLost = false;
  private lastCurrentAt = Date.now();
  private readonly listeners = new Set<AppliedListener>();
  private lock: Promise<unknown> = Promise.resolve();
  private pending: KeyEvent[] = [];
  /** ranges the open stream watches (or the last listing covered) */
  private covered = new Set<string>();
  private restartWanted = false;
  private relistNeeded = false;
  private fullRebuildPending = false;
  private stopped = false;
  private reconciling = false;
  private readonly stopSignal = new AbortController();
  private stream: AbortController | undefined;
  private streamError: unknown;
  private settleTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconcileSoon: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();
  private status: AgentStatusReporter | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly log: (message: string, fields?: AgentLogFields) => void;
  private readonly settleMs: number;

  constructor(private readonly options: FleetAgentOptions) {
    if (!HOST_ID_PATTERN.test(options.hostId)) throw new FleetAgentError(`--host-id '${options.hostId}': 1 to 128 letters, digits, '.', '_', ':' or '-'`);
    this.layout = new KeyLayout(options.prefix ?? DEFAULT_PREFIX);
    this.gateway = new EtcdGateway(options.endpoints, { requestTimeoutMs: options.requestTimeoutMs });
    this.view = new FleetView(this.layout, options.hostId, options.region);
    this.log = options.onLog ?? ((m: string) => void process.stderr.write(`sgfw: ${m}\n`));
    this.settleMs = options.settleMs ?? 10;
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
    return this.applied;
  }

  /** whether the watch stream is up (the state in force is current) */
  get connected(): boolean {
    return this.connectedNow;
  }

  /** 0 while connected; else seconds since the agent last knew its state current */
  staleSeconds(now = Date.now()): number {
    return this.connectedNow ? 0 : Math.max(0, (now - this.lastCurrentAt) / 1000);
  }

  /** Called after every applied flush, with what changed (undefined: everything may have). */
  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
      const listing = await this.listConcerned();
      await this.serial(async () => this.install(listing));
      this.markContact();
    } catch (e) {
      if (!(e instanceof EtcdUnavailable)) throw e;
      const doc = this.options.stateFile === undefined ? undefined : await readAgentState(this.options.stateFile, { prefix: this.layout.prefix, hostId: this.hostId });
      if (doc === undefined) {
        throw new FleetAgentError(`etcd is unreachable and ${this.options.stateFile === undefined ? 'no --state-file was given' : `${this.options.stateFile} does not exist`}: ${e.message}`);
      }
      const kvs = new Map(doc.keys.map(([k, v, m]) => [k, { value: v, modRevision: m }] as const));
      await this.serial(async () => this.install({ revision: doc.revision, kvs }));
      this.lastCurrentAt = doc.currentAt;
      this.wasLost = true;
      source = 'file';
      this.log(`fleet agent ${this.hostId}: etcd unreachable (${e.message}); enforcing revision ${doc.revision} from ${this.options.stateFile}, current as of ${new Date(doc.currentAt).toISOString()}`, {
        event: 'fleet-boot-from-file', level: 'warn', revision: doc.revision, file: this.options.stateFile, currentAt: new Date(doc.currentAt).toISOString(), error: e.message,
      });
    }
    this.loop = this.run();
    const ttl = this.options.statusTtlSeconds ?? 10;
    if (ttl > 0) {
      this.status = new AgentStatusReporter(this.gateway, this.layout.status(this.hostId), () => ({
        hostId: this.hostId, revision: this.applied, interfaces: [...this.view.interfaces()].length, at: Date.now(),
      }), ttl, this.options.statusIntervalMs ?? 1000);
      this.status.start();
    }
    const every = this.options.reconcileIntervalMs ?? 30_000;
    if (every > 0) {
      this.reconcileTimer = setInterval(() => void this.reconcile().catch(() => undefined), every);
      this.reconcileTimer.unref();
    }
    return { source, revision: this.applied };
  }

  /** Stops following, writes the state file a last time, revokes the status lease. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopSignal.abort();
    this.stream?.abort();
    for (const t of [this.settleTimer, this.reconcileTimer, this.reconcileSoon, this.saveTimer]) if (t !== undefined) clearTimeout(t);
    await this.loop;
    await this.lock.catch(() => undefined);
    await this.status?.stop();
    await this.saveNow();
  }

  // ---- listing -----------------------------------------------------------------------------------

  /** Lists every concerned range at one revision (the newest, or `atRevision`), following references. */
  private async listConcerned(atRevision?: number): Promise<Listing> {
    const scratch = new FleetView(this.layout, this.hostId, this.options.region);
    const kvs = new Map<string, { value: string; modRevision: number }>();
    const fetched = new Set<string>();
    let revision = atRevision;
    for (;;) {
      const todo = scratch.concernedRanges().filter((r) => !fetched.has(rangeId(r)));
      if (todo.length === 0) break;
      const results = await Promise.all(todo.map((r) => this.gateway.range(r.key, rangeEnd(r), revision)));
      revision ??= results[0]!.revision;
      const events: KeyEvent[] = [];
      todo.forEach((r, i) => {
        fetched.add(rangeId(r));
        for (const kv of results[i]!.kvs) {
          kvs.set(kv.key, { value: kv.value, modRevision: kv.modRevision });
          events.push({ type: 'put', key: kv.key, value: kv.value, modRevision: kv.modRevision });
        }
      });
      scratch.applyEvents(events);
    }
    return { revision: revision!, kvs };
  }

  /** Under the lock: makes the view equal a listing and applies the difference. */
  private install(listing: Listing): string[] {
    const { change, differing } = this.view.replaceWith(listing.kvs, listing.revision);
    const ranges = this.view.concernedRanges();
    this.view.prune(ranges);
    this.covered = new Set(ranges.map(rangeId));
    this.applied = Math.max(this.applied, listing.revision);
    this.emit(change);
    return differing;
  }

  // ---- following ---------------------------------------------------------------------------------

  private async run(): Promise<void> {
    let backoff = 50;
    const cap = this.options.backoffCapMs ?? 1000;
    while (!this.stopped) {
      try {
        if (this.relistNeeded) {
          const listing = await this.listConcerned();
          await this.serial(async () => this.install(listing));
          this.relistNeeded = false;
          this.stats.relists++;
          // A listing of every range, newer than what the reconcile after a reconnect would compare.
          if (this.reconcileSoon !== undefined) clearTimeout(this.reconcileSoon);
          this.reconcileSoon = undefined;
          this.log(`fleet agent ${this.hostId}: listed every concerned key again at revision ${listing.revision}`, { event: 'fleet-relisted', level: 'info', revision: listing.revision });
        }
        await this.follow();
        backoff = 50;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof EtcdWatchIncomplete) {
          // Not an outage: the same watch again at once, from the applied revision + 1 (nothing
          // of the incomplete stream was applied; the gateway waits longer the next time).
          this.stats.rewatches++;
          continue;
        }
        if (e instanceof EtcdCompacted) {
          this.log(`fleet agent ${this.hostId}: revision ${this.applied + 1} was compacted; listing again`, { event: 'fleet-compacted', level: 'warn', revision: this.applied });
          this.relistNeeded = true;
          continue;
        }
        this.markLost(e as Error);
        this.stats.reconnects++;
        // Jittered, so a fleet that lost etcd together does not come back in one burst.
        await sleep(backoff / 2 + Math.random() * (backoff / 2), undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, cap);
      }
    }
  }

  /** One stream; returns when the concerned ranges changed, throws when the stream failed. */
  private async follow(): Promise<void> {
    const ranges = this.view.concernedRanges();
    this.covered = new Set(ranges.map(rangeId));
    const ac = new AbortController();
    this.stream = ac;
    this.restartWanted = false;
    this.streamError = undefined;
    this.pending = [];
    const signal = AbortSignal.any([ac.signal, this.stopSignal.signal]);
    const idleMs = this.options.idleReopenMs ?? 240_000;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idle !== undefined) clearTimeout(idle);
      idle = setTimeout(() => {
        // Not a loss: the same watch again from applied + 1 (pending events are delivered again).
        this.restartWanted = true;
        ac.abort();
      }, idleMs);
      idle.unref();
    };
    // Nothing from a stream is applied before every watcher on it is confirmed (etcd 3.4's gateway
    // may drop a create request: see EtcdWatchIncomplete; reopening from applied + 1 then loses
    // nothing) and the catch-up it starts with has gone quiet: etcd sends each watcher that starts
    // behind its whole backlog on its own (not revision by revision across watchers), so the
    // backlog is applied in one change once it stopped coming. After that, a revision is applied
    // when a later one arrives or the stream stays quiet for settleMs. An event older than what
    // is applied can only be a watcher's backlog that came late: the view may have shown part of
    // a transaction, so everything is listed again at once (counted in `late` and `relists`).
    let confirmed = 0;
    let ready = false;
    try {
      const watched = ranges.map((r) => ({ key: r.key, rangeEnd: rangeEnd(r) }));
      armIdle();
      for await (const msg of this.gateway.watchRanges(watched, this.applied + 1, signal)) {
        armIdle();
        this.markContact();
        if (msg.compactRevision > 0) throw new EtcdCompacted(`watch from revision ${this.applied + 1}: compacted at ${msg.compactRevision}`);
        if (msg.canceled) throw new EtcdUnavailable(`the watch was cancelled: ${msg.cancelReason}`);
        if (msg.created) confirmed++;
        for (const e of msg.events) {
          if (this.options.dropEvent?.(e) === true) continue;
          if (e.modRevision <= this.applied) {
            this.stats.late++;
            this.relistNeeded = true;
            this.restartWanted = true;
            this.log(`fleet agent ${this.hostId}: an event of revision ${e.modRevision} came after revision ${this.applied} was applied; listing again`, {
              event: 'fleet-late-event', level: 'warn', revision: e.modRevision, applied: this.applied, key: e.key,
            });
            break;
          }
          this.pending.push(e);
        }
        if (this.restartWanted || this.streamError !== undefined) break;
        if (confirmed < ranges.length) continue;
        if (!ready) {
          this.armSettle(ac, CATCH_UP_QUIET_MS, () => (ready = true));
        } else if (this.pending.length > 0) {
          await this.serial(() => this.flush(false));
          this.armSettle(ac, this.settleMs);
        }
        if (this.restartWanted || this.streamError !== undefined) break;
      }
    } finally {
      if (idle !== undefined) clearTimeout(idle);
      ac.abort();
      if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
    }
    if (this.stopped) return;
    if (this.streamError !== undefined) throw this.streamError;
    if (this.restartWanted) {
      this.stats.rewatches++;
      return;
    }
    throw new EtcdUnavailable('the watch stream ended');
  }

  private armSettle(ac: AbortController, quietMs: number, onFlushed?: () => void): void {
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.serial(() => this.flush(true)).then(
        () => {
          onFlushed?.();
          if (this.restartWanted) ac.abort();
        },
        (e: unknown) => {
          this.streamError = e;
          ac.abort();
        },
      );
    }, quietMs);
  }

  /**
   * Under the lock: applies the pending revisions that are complete (all but the newest, or all
   * when `all`), in order, as one change. When they change the concerned ranges, the new ranges
   * are listed at the revision reached and the stream is to be reopened.
   */
  private async flush(all: boolean): Promise<void> {
    if (this.pending.length === 0 || this.restartWanted) return;
    this.pending.sort((a, b) => a.modRevision - b.modRevision);
    const newest = this.pending[this.pending.length - 1]!.modRevision;
    const cutoff = all ? newest : newest - 1;
    let i = 0;
    let change: ViewChange = { groupIds: [], interfaceIds: [], prefixListIds: [] };
    let reached = this.applied;
    try {
      while (i < this.pending.length && this.pending[i]!.modRevision <= cutoff) {
        const revision = this.pending[i]!.modRevision;
        let j = i;
        while (j < this.pending.length && this.pending[j]!.modRevision === revision) j++;
        const c = this.view.applyEvents(this.pending.slice(i, j));
        i = j;
        if (!isEmptyChange(c)) this.stats.revisions++;
        change = mergeChanges(change, c);
        reached = Math.max(reached, revision);
        const ranges = this.view.concernedRanges();
        if (ranges.some((r) => !this.covered.has(rangeId(r))) || ranges.length !== this.covered.size) {
          change = mergeChanges(change, await this.coverRanges(reached));
          this.restartWanted = true;
          i = this.pending.length; // the new stream delivers the rest again from reached + 1
          break;
        }
      }
    } catch (e) {
      // Part of a revision may be in the view: rebuild everything once a listing repaired it.
      this.fullRebuildPending = true;
      this.relistNeeded = true;
      this.pending = [];
      throw e;
    }
    if (i === 0) return; // only the newest revision is pending: it may not be whole yet
    this.pending = this.pending.slice(i);
    this.applied = reached;
    this.emit(change);
  }

  /** The revision of the last API call as of `revision` (0 in an empty store). */
  private async lastCallRevision(revision: number): Promise<number> {
    const head = await this.gateway.range(this.layout.head, undefined, revision);
    return head.kvs[0]?.modRevision ?? 0;
  }

  /** Lists the ranges the view newly depends on at `revision`, until no new one appears. */
  private async coverRanges(revision: number): Promise<ViewChange> {
    let change: ViewChange = { groupIds: [], interfaceIds: [], prefixListIds: [] };
    for (;;) {
      const ranges = this.view.concernedRanges();
      const todo = ranges.filter((r) => !this.covered.has(rangeId(r)));
      if (todo.length === 0) {
        this.view.prune(ranges);
        this.covered = new Set(ranges.map(rangeId));
        return change;
      }
      const results = await Promise.all(todo.map((r) => this.gateway.range(r.key, rangeEnd(r), revision)));
      const events: KeyEvent[] = [];
      todo.forEach((r, k) => {
        this.covered.add(rangeId(r));
        for (const kv of results[k]!.kvs) events.push({ type: 'put', key: kv.key, value: kv.value, modRevision: kv.modRevision });
      });
      change = mergeChanges(change, this.view.applyEvents(events));
    }
  }

  // ---- reconcile ---------------------------------------------------------------------------------

  /**
   * Compares what is applied with etcd: lists every concerned range at the newest revision. Equal,
   * the agent is current as of that revision. Different, the difference may be events still on
   * their way: after `reconcileGraceMs` it lists again, and a key that still differs the same way
   * (same mod_revision listed, same value held) was lost by the watch: the agent installs the
   * listing, counting those keys as repairs. Returns the keys repaired.
   */
  async reconcile(): Promise<number> {
    if (this.stopped || !this.connectedNow || this.reconciling) return 0;
    this.reconciling = true;
    try {
      const first = await this.serial(async () => {
        if (this.pending.length > 0) await this.flush(true);
        this.stats.reconciles++;
        const listing = await this.listConcerned();
        const differing = differences(listing.kvs, this.view.liveKeys());
        if (differing.size === 0) {
          // Current as of the last API call (`head`, rewritten by every call) at the listing's
          // revision, not as of the listing's revision itself: that one moves with every write to
          // the store, other agents' status keys included, and reporting it would make each
          // reconcile write this agent's status, N agents' writes moving each other's revisions.
          this.applied = Math.max(this.applied, await this.lastCallRevision(listing.revision));
          this.markContact();
          this.emit({ groupIds: [], interfaceIds: [], prefixListIds: [] });
        }
        return differing;
      });
      if (first.size === 0) return 0;
      await sleep(this.options.reconcileGraceMs ?? 1000, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      if (this.stopped) return 0;
      return await this.serial(async () => {
        if (this.pending.length > 0) await this.flush(true);
        const listing = await this.listConcerned();
        const again = differences(listing.kvs, this.view.liveKeys());
        const lost = [...again].filter(([key, d]) => first.get(key) === d).map(([key]) => key);
        if (lost.length === 0) return 0; // the watch delivered them meanwhile
        const watched = [...this.covered].sort().join('\n');
        this.install(listing);
        this.stats.repairs += lost.length;
        this.log(`fleet agent ${this.hostId}: reconcile at revision ${listing.revision} repaired ${lost.length} key(s) the watch did not deliver: ${lost.slice(0, 5).join(', ')}`, {
          event: 'fleet-repaired', level: 'warn', revision: listing.revision, repaired: lost.length, keys: lost.slice(0, 5), repairsTotal: this.stats.repairs,
        });
        if ([...this.covered].sort().join('\n') !== watched && this.stream !== undefined) {
          // The repair changed what concerns this host: a stream over the new ranges.
          this.restartWanted = true;
          this.stream.abort();
        }
        return lost.length;
      });
    } finally {
      this.reconciling = false;
    }
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private emit(change: ViewChange): void {
    const full = this.fullRebuildPending;
    this.fullRebuildPending = false;
    if (!isEmptyChange(change) || full) this.stats.applies++;
    for (const l of this.listeners) l(this.applied, full ? undefined : change);
    this.scheduleSave();
  }

  private markContact(): void {
    if (!this.connectedNow && this.wasLost) {
      this.wasLost = false;
      const stale = this.staleSeconds();
      this.log(`fleet agent ${this.hostId}: etcd reachable again after ${stale.toFixed(1)} s; resuming from revision ${this.applied + 1}`, {
        event: 'fleet-reconnected', level: 'info', staleSeconds: stale, revision: this.applied,
      });
      if (this.reconcileSoon === undefined && !this.stopped) {
        this.reconcileSoon = setTimeout(() => {
          this.reconcileSoon = undefined;
          void this.reconcile().catch(() => undefined);
        }, this.options.reconcileAfterReconnectMs ?? 10_000);
        this.reconcileSoon.unref();
      }
    }
    this.connectedNow = true;
    this.lastCurrentAt = Date.now();
  }

  private markLost(e: Error): void {
    if (this.connectedNow) {
      this.lastCurrentAt = Date.now();
      this.log(`fleet agent ${this.hostId}: lost etcd (${e.message}); enforcing revision ${this.applied} until it is back`, {
        event: 'fleet-disconnected', level: 'warn', revision: this.applied, error: e.message,
      });
    }
    this.connectedNow = false;
    this.wasLost = true;
  }

  private scheduleSave(): void {
    if (this.options.stateFile === undefined || this.saveTimer !== undefined || this.stopped) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveNow();
    }, this.options.saveDebounceMs ?? 200);
    this.saveTimer.unref();
  }

  /** Writes the state file now (after pending writes). */
  saveNow(): Promise<void> {
    const path = this.options.stateFile;
    if (path === undefined) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      const keys = [...this.view.liveKeys()].map(([k, kv]) => [k, kv.value, kv.modRevision] as const);
      try {
        await writeAgentState(path, {
          format: AGENT_STATE_FORMAT, prefix: this.layout.prefix, hostId: this.hostId, revision: this.applied,
          currentAt: this.connectedNow ? Date.now() : this.lastCurrentAt, keys,
        });
      } catch (e) {
        this.log(`fleet agent ${this.hostId}: cannot write ${path}: ${(e as Error).message}`, { event: 'fleet-state-write-failed', level: 'error', file: path, error: (e as Error).message });
      }
    });
    return this.saving;
  }
}

/** Keys whose listed and held values differ, each with a description of the difference. */
function differences(
  listed: ReadonlyMap<string, { value: string; modRevision: number }>,
  held: ReadonlyMap<string, { value: string; modRevision: number }>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of listed) {
    const h = held.get(k);
    if (h?.value !== v.value) out.set(k, `listed@${v.modRevision} held@${h?.modRevision ?? 'none'}`);
  }
  for (const [k, h] of held) if (!listed.has(k)) out.set(k, `absent held@${h.modRevision}`);
  return out;
}
