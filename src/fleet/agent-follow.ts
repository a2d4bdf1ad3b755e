// How a fleet agent follows etcd (see agent.ts for the watch's shape): one gRPC watch stream
// carrying one watcher per concerned range, its events grouped by revision and applied once a later
// revision arrived or the stream stayed quiet (the settle timers), watchers added and cancelled in
// place when the ranges change, the liveness probe, and the reconnect loop with its backoff and
// relists.
//
// Liveness: a stream that has said nothing for a third of `staleAfterMs` is asked for a progress
// notification (etcd answers at once, even when no key changed); a stream silent for `staleAfterMs`
// (the member is frozen, partitioned, or the connection hangs) is given up: the agent reports itself
// stale (EtcdContact) and opens a stream on the next member, which catches up from the applied
// revision + 1. etcd's own progress notifications come every 10 minutes, too rarely to tell.
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdCompacted, EtcdUnavailable } from './etcd-types.js';
import type { EtcdWatchStream } from './etcd-watch-stream.js';
import { isEmptyChange, mergeChanges, rangeEnd, type ConcernedRange, type KeyEvent, type ViewChange } from './agent-view.js';
import type { AgentLog, FleetAgentOptions, FleetAgentStats } from './agent-options.js';
import { noChange, rangeId, type AppliedState } from './agent-applied.js';
import type { EtcdContact } from './agent-contact.js';

/**
 * How long new watchers' catch-up must stay quiet before it is applied: longer than the 100 ms
 * period at which etcd brings watchers that start behind up to date. (etcd 3.4.23 answers a
 * progress request before the events it covers, etcd-io/etcd #15220, so it cannot mark the end.)
 */
const CATCH_UP_QUIET_MS = 150;

/** default of FleetAgentOptions.staleAfterMs */
export const DEFAULT_STALE_AFTER_MS = 5000;

/** The stream said nothing, not even to a progress request, for the stale time. */
export class EtcdSilent extends EtcdUnavailable {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdSilent';
  }
}

export class WatchFollower {
  private pending: KeyEvent[] = [];
  private restartWanted = false;
  private relistNeeded = false;
  private stream: EtcdWatchStream | undefined;
  private streamError: unknown;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly settleMs: number;
  private readonly staleAfterMs: number;
  /** the open stream's watchers: range id → watch id, and the ids whose messages count */
  private readonly watchers = new Map<string, number>();
  private readonly active = new Set<number>();
  /** watchers were added and their backlogs are still coming: nothing is applied until quiet */
  private catchingUp = false;
  /** when the agent last heard from etcd (any message on a stream) */
  private lastHeard = Date.now();

  constructor(
    private readonly applied: AppliedState,
    private readonly contact: EtcdContact,
    private readonly stats: FleetAgentStats,
    private readonly options: FleetAgentOptions,
    private readonly log: AgentLog,
    private readonly stopSignal: AbortSignal,
    /** every concerned range was listed again (newer than what a pending reconcile would compare) */
    private readonly onRelisted: () => void,
  ) {
    this.settleMs = options.settleMs ?? 10;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  }

  private get hostId(): string {
    return this.options.hostId;
  }

  private get stopped(): boolean {
    return this.stopSignal.aborted;
  }

  /** Ends the stream and its settle timer (the stop signal ends the loop). */
  stop(): void {
    this.stream?.close();
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
  }

  /** On the queue: applies every pending revision (a reconcile compares after it). */
  async flushPending(): Promise<void> {
    if (this.pending.length > 0) await this.flush(true);
  }

  /** The concerned ranges changed outside the stream (a repair): a stream over the new ones. */
  rewatch(): void {
    if (this.stream === undefined) return;
    this.restartWanted = true;
    this.stream.close();
  }

  /** Follows until the stop signal: reconnects and relists as etcd needs. */
  async run(): Promise<void> {
    let backoff = 50;
    const cap = this.options.backoffCapMs ?? 1000;
    while (!this.stopped) {
      try {
        if (this.relistNeeded) {
          const listing = await this.applied.listConcerned();
          this.lastHeard = Date.now();
          await this.applied.queue.run(async () => this.applied.install(listing));
          this.relistNeeded = false;
          this.stats.relists++;
          // etcd answered and the state is current as of the listing: connected (and back, if it
          // was lost), before the watch says anything; the listing stands for the reconcile due soon
          this.contact.reached();
          this.onRelisted();
          this.log(`fleet agent ${this.hostId}: listed every concerned key again at revision ${listing.revision}`, { event: 'fleet-relisted', level: 'info', revision: listing.revision });
        }
        await this.follow();
        backoff = 50;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof EtcdCompacted) {
          this.log(`fleet agent ${this.hostId}: revision ${this.applied.revision + 1} was compacted; listing again`, { event: 'fleet-compacted', level: 'warn', revision: this.applied.revision });
          this.relistNeeded = true;
          continue;
        }
        this.contact.lost(e as Error, this.lastHeard, e instanceof EtcdSilent);
        this.stats.reconnects++;
        // Back on a stream, the watchers would each catch up from the applied revision on their
        // own, and a backlog coming late would have let the agent report a revision it had not
        // wholly applied. Listing every range at one revision and watching from the next instead
        // leaves no backlog to interleave.
        this.relistNeeded = true;
        // A silent member is given up at once for the next one; a refusing one after a jittered
        // pause, so a fleet that lost etcd together does not come back in one burst.
        if (e instanceof EtcdSilent) continue;
        await sleep(backoff / 2 + Math.random() * (backoff / 2), undefined, { signal: this.stopSignal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, cap);
      }
    }
  }

  private addWatcher(stream: EtcdWatchStream, r: ConcernedRange, startRevision: number): void {
    const id = stream.add(r.key, rangeEnd(r), startRevision);
    this.watchers.set(rangeId(r), id);
    this.active.add(id);
  }

  /** Watchers for the ranges now concerned (from `startRevision`), none for the others. */
  private syncWatchers(ranges: readonly ConcernedRange[], startRevision: number): void {
    const stream = this.stream;
    if (stream === undefined) return;
    const wanted = new Map(ranges.map((r) => [rangeId(r), r] as const));
    for (const [id, watchId] of this.watchers) {
      if (wanted.has(id)) continue;
      stream.cancel(watchId);
      this.active.delete(watchId);
      this.watchers.delete(id);
    }
    let added = false;
    for (const [id, r] of wanted) {
      if (this.watchers.has(id)) continue;
      this.addWatcher(stream, r, startRevision);
      added = true;
    }
    if (added) this.catchingUp = true;
  }

  /** One stream; returns when it is to be reopened (rewatch), throws when it failed. */
  private async follow(): Promise<void> {
    const ranges = this.applied.view.concernedRanges();
    this.applied.cover(ranges);
    const stream = await this.applied.client.watch();
    this.stream = stream;
    this.restartWanted = false;
    this.streamError = undefined;
    this.pending = [];
    this.watchers.clear();
    this.active.clear();
    for (const r of ranges) this.addWatcher(stream, r, this.applied.revision + 1);
    this.catchingUp = true;
    // Liveness (see the file header).
    const stopProbe = stream.probeLiveness(this.staleAfterMs, (since) => {
      this.streamError ??= new EtcdSilent(`${stream.endpoint} said nothing for ${(since / 1000).toFixed(1)} s`);
    });
    const onStop = (): void => stream.close();
    if (this.stopped) onStop();
    this.stopSignal.addEventListener('abort', onStop, { once: true });
    // Nothing is applied while watchers catch up: etcd sends each watcher that starts behind its
    // whole backlog on its own (not revision by revision across watchers), so a backlog is applied
    // in one change once it stopped coming. Otherwise a revision is applied when a later one
    // arrives or the stream stays quiet for settleMs. An event older than what is applied can only
    // be a watcher's backlog that came late: the view may have shown part of a transaction, so
    // everything is listed again at once (counted in `late` and `relists`).
    try {
      for await (const msg of stream) {
        this.lastHeard = Date.now();
        this.contact.reached();
        if (msg.progress) continue;
        if (!this.active.has(msg.watchId)) continue; // a cancelled watcher's last words
        if (msg.compactRevision > 0) throw new EtcdCompacted(`watch from revision ${this.applied.revision + 1}: compacted at ${msg.compactRevision}`);
        if (msg.canceled) throw new EtcdUnavailable(`${stream.endpoint}: the watch was cancelled: ${msg.cancelReason}`);
        for (const e of msg.events) {
          if (this.options.dropEvent?.(e) === true) continue;
          if (e.modRevision <= this.applied.revision) {
            this.stats.late++;
            this.relistNeeded = true;
            this.restartWanted = true;
            this.log(`fleet agent ${this.hostId}: an event of revision ${e.modRevision} came after revision ${this.applied.revision} was applied; listing again`, {
              event: 'fleet-late-event', level: 'warn', revision: e.modRevision, applied: this.applied.revision, key: e.key,
            });
            break;
          }
          this.pending.push(e);
        }
        if (this.restartWanted || this.streamError !== undefined) break;
        if (this.catchingUp) {
          this.armSettle(stream, CATCH_UP_QUIET_MS, () => (this.catchingUp = false));
        } else if (this.pending.length > 0) {
          await this.applied.queue.run(() => this.flush(false));
          if (this.catchingUp) this.armSettle(stream, CATCH_UP_QUIET_MS, () => (this.catchingUp = false));
          else this.armSettle(stream, this.settleMs);
        }
        if (this.restartWanted || this.streamError !== undefined) break;
      }
    } finally {
      stopProbe();
      this.stopSignal.removeEventListener('abort', onStop);
      stream.close();
      if (this.stream === stream) this.stream = undefined;
      if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
    }
    if (this.stopped) return;
    if (this.streamError !== undefined) throw this.streamError;
    if (this.restartWanted) {
      this.stats.rewatches++;
      return;
    }
    throw new EtcdUnavailable(`${stream.endpoint}: the watch stream ended`);
  }

  private armSettle(stream: EtcdWatchStream, quietMs: number, onFlushed?: () => void): void {
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.applied.queue.run(() => this.flush(true, onFlushed)).then(
        () => {
          if (this.restartWanted) stream.close();
          // ranges added by this flush: their backlogs are to settle too
          else if (this.catchingUp) this.armSettle(stream, CATCH_UP_QUIET_MS, () => (this.catchingUp = false));
        },
        (e: unknown) => {
          this.streamError = e;
          stream.close();
        },
      );
    }, quietMs);
  }

  /**
   * On the queue: applies the pending revisions that are complete (all but the newest, or all
   * when `all`), in order, as one change. When they change the concerned ranges, the new ranges
   * are listed at the revision reached and watched from the next one, in place; the rest waits for
   * their catch-up.
   */
  private async flush(all: boolean, beforeFlush?: () => void): Promise<void> {
    beforeFlush?.();
    if (this.pending.length === 0 || this.restartWanted) return;
    this.pending.sort((a, b) => a.modRevision - b.modRevision);
    const newest = this.pending[this.pending.length - 1]!.modRevision;
    const cutoff = all ? newest : newest - 1;
    let i = 0;
    let change: ViewChange = noChange();
    let reached = this.applied.revision;
    try {
      while (i < this.pending.length && this.pending[i]!.modRevision <= cutoff) {
        const revision = this.pending[i]!.modRevision;
        let j = i;
        while (j < this.pending.length && this.pending[j]!.modRevision === revision) j++;
        const c = this.applied.view.applyEvents(this.pending.slice(i, j));
        i = j;
        if (!isEmptyChange(c)) this.stats.revisions++;
        change = mergeChanges(change, c);
        reached = Math.max(reached, revision);
        if (this.applied.coverageChanged()) {
          change = mergeChanges(change, await this.applied.coverRanges(reached));
          this.syncWatchers(this.applied.view.concernedRanges(), reached + 1);
          this.stats.rewatches++;
          break;
        }
      }
    } catch (e) {
      // Part of a revision may be in the view: rebuild everything once a listing repaired it.
      this.applied.markPartial();
      this.relistNeeded = true;
      this.pending = [];
      throw e;
    }
    if (i === 0) return; // only the newest revision is pending: it may not be whole yet
    this.pending = this.pending.slice(i);
    this.applied.advanceTo(reached);
    this.applied.emit(change);
  }
}
