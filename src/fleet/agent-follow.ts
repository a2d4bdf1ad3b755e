// How a fleet agent follows etcd (see agent.ts for the watch's shape): one watch stream over the
// concerned ranges, its events grouped by revision and applied once a later revision arrived or the
// stream stayed quiet (the settle timers), the stream reopened when the ranges change, and the
// reconnect loop with its backoff, relists and rewatches.
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdCompacted, EtcdUnavailable, EtcdWatchIncomplete } from './etcd-gateway.js';
import { isEmptyChange, mergeChanges, rangeEnd, type KeyEvent, type ViewChange } from './agent-view.js';
import type { AgentLog, FleetAgentOptions, FleetAgentStats } from './agent-options.js';
import { noChange, type AppliedState } from './agent-applied.js';
import type { EtcdContact } from './agent-contact.js';

/**
 * How long a new stream's catch-up must stay quiet before it is applied: longer than the 100 ms
 * period at which etcd brings watchers that start behind up to date.
 */
const CATCH_UP_QUIET_MS = 150;

export class WatchFollower {
  private pending: KeyEvent[] = [];
  private restartWanted = false;
  private relistNeeded = false;
  private stream: AbortController | undefined;
  private streamError: unknown;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly settleMs: number;

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
  }

  private get hostId(): string {
    return this.options.hostId;
  }

  private get stopped(): boolean {
    return this.stopSignal.aborted;
  }

  /** Ends the stream and its settle timer (the stop signal ends the loop). */
  stop(): void {
    this.stream?.abort();
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
    this.stream.abort();
  }

  /** Follows until the stop signal: reconnects, relists and rewatches as etcd needs. */
  async run(): Promise<void> {
    let backoff = 50;
    const cap = this.options.backoffCapMs ?? 1000;
    while (!this.stopped) {
      try {
        if (this.relistNeeded) {
          const listing = await this.applied.listConcerned();
          await this.applied.queue.run(async () => this.applied.install(listing));
          this.relistNeeded = false;
          this.stats.relists++;
          this.onRelisted();
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
          this.log(`fleet agent ${this.hostId}: revision ${this.applied.revision + 1} was compacted; listing again`, { event: 'fleet-compacted', level: 'warn', revision: this.applied.revision });
          this.relistNeeded = true;
          continue;
        }
        this.contact.lost(e as Error);
        this.stats.reconnects++;
        // Jittered, so a fleet that lost etcd together does not come back in one burst.
        await sleep(backoff / 2 + Math.random() * (backoff / 2), undefined, { signal: this.stopSignal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, cap);
      }
    }
  }

  /** One stream; returns when the concerned ranges changed, throws when the stream failed. */
  private async follow(): Promise<void> {
    const ranges = this.applied.view.concernedRanges();
    this.applied.cover(ranges);
    const ac = new AbortController();
    this.stream = ac;
    this.restartWanted = false;
    this.streamError = undefined;
    this.pending = [];
    const signal = AbortSignal.any([ac.signal, this.stopSignal]);
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
      for await (const msg of this.applied.gateway.watchRanges(watched, this.applied.revision + 1, signal)) {
        armIdle();
        this.contact.reached();
        if (msg.compactRevision > 0) throw new EtcdCompacted(`watch from revision ${this.applied.revision + 1}: compacted at ${msg.compactRevision}`);
        if (msg.canceled) throw new EtcdUnavailable(`the watch was cancelled: ${msg.cancelReason}`);
        if (msg.created) confirmed++;
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
        if (confirmed < ranges.length) continue;
        if (!ready) {
          this.armSettle(ac, CATCH_UP_QUIET_MS, () => (ready = true));
        } else if (this.pending.length > 0) {
          await this.applied.queue.run(() => this.flush(false));
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
      void this.applied.queue.run(() => this.flush(true)).then(
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
   * On the queue: applies the pending revisions that are complete (all but the newest, or all
   * when `all`), in order, as one change. When they change the concerned ranges, the new ranges
   * are listed at the revision reached and the stream is to be reopened.
   */
  private async flush(all: boolean): Promise<void> {
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
          this.restartWanted = true;
          i = this.pending.length; // the new stream delivers the rest again from reached + 1
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
