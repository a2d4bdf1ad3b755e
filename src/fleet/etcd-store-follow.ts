// How an etcd store's live service follows the store (etcd-store.ts writes it): a watch on the
// prefix, one revision at a time. The call recorded in `head` is replayed with the ids it drew (as
// the durable store replays its journal, so the service's change listeners, e.g. a `--replay`
// dataplane, hear exactly what changed) and the keys it would write are compared with the
// revision's keys. A gap (head.after is not the head we hold), a mismatch, an import, a compacted
// revision or a state write without head: the store lists the prefix and loads it whole (a resync,
// counted). A call waits here (waitFor) for its own commit to come back through the watch.
// A watch that says nothing for `silentAfterMs`, not even to the progress requests sent after a
// third of it, is given up for one on the next member (a frozen or cut-off member).
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecurityGroupService } from '../control/service.js';
import { ModelState } from '../control/records.js';
import type { IdSource } from '../state/journal-ids.js';
import { runStoreAction } from '../state/store-front.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdUnavailable, type KeyValue, type WatchEvent } from './etcd-types.js';
import { prefixRangeEnd, type KeyLayout } from './key-layout.js';
import { decodeState, diffStates, fillState, type KeyChanges } from './state-codec.js';

/** The value of `head`: the last change and how to replay it. */
export interface HeadValue {
  /** the head revision this change was made on */
  readonly after: number;
  readonly action: string;
  /** absent for an import: too large to repeat, and a resync loads the same */
  readonly params?: unknown;
  readonly ids?: readonly string[];
  readonly nonce: string;
}

/**
 * The action of a fence: `head` rewritten with no change to the state, so that a call whose txn may
 * still be pending somewhere (its outcome unknown) can never commit: its guard on head's revision
 * fails from now on (see etcd-store-outcome.ts).
 */
export const FENCE_ACTION = 'sgfw:Fence';

export function parseHead(value: string | undefined): HeadValue | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as HeadValue;
    return typeof v === 'object' && v !== null && typeof v.after === 'number' && typeof v.action === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function sameChanges(expected: KeyChanges, events: readonly WatchEvent[]): boolean {
  if (expected.size !== events.length) return false;
  return events.every((e) => {
    const want = expected.get(e.key);
    return want !== undefined && (e.type === 'delete' ? want === null : want === e.value);
  });
}

/** What the follower counts, in the store's stats. */
export interface FollowStats {
  replayed: number;
  resyncs: number;
  /** watches given up because their member said nothing (not even to a progress request) */
  silentReopens: number;
}

export class EtcdStoreFollower {
  private headRevision = 0;
  private appliedRevision = 0;
  private readonly stopWatch = new AbortController();
  private watching: Promise<void> = Promise.resolve();
  private waiters: { revision: number; resolve: () => void }[] = [];
  private readonly rangeEnd: Buffer;
  private lastWarning = '';

  constructor(
    private readonly client: EtcdClient,
    private readonly layout: KeyLayout,
    private readonly service: SecurityGroupService,
    private readonly ids: IdSource,
    private readonly stats: FollowStats,
    private readonly silentAfterMs: number,
    private readonly warn: (message: string) => void,
    /** the store takes no more calls: the watch ends */
    private readonly isClosed: () => boolean,
  ) {
    this.rangeEnd = prefixRangeEnd(layout.prefix);
  }

  /** the mod_revision of `head` the live service reflects: 0 while the store has never been written */
  get head(): number {
    return this.headRevision;
  }

  /** the etcd revision the live service is current with */
  get revision(): number {
    return this.appliedRevision;
  }

  /** True once the live service is at `revision` (or past it); false after `ms` without it. */
  waitFor(revision: number, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push({ revision, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
  }

  private advance(revision: number): void {
    if (revision <= this.appliedRevision) return;
    this.appliedRevision = revision;
    const due = this.waiters.filter((w) => w.revision <= revision);
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of due) w.resolve();
  }

  /** Lists the prefix and loads it whole into the live service. */
  async resync(reason: string): Promise<void> {
    const { revision, kvs } = await this.client.range(this.layout.prefix, this.rangeEnd);
    // The watch may have applied newer revisions while the list was in flight: keep those.
    if (revision < this.appliedRevision) return;
    const decoded = decodeState(this.layout, kvs.map((kv) => [kv.key, kv.value] as const));
    // Listeners (a `--replay` dataplane) hear exactly what differs, as after a call.
    this.service.replaceState(new ModelState(decoded.groups, decoded.interfaces, decoded.prefixLists, decoded.vpcs, undefined, decoded.subnets, decoded.clientTokens), 'Resync');
    this.headRevision = kvs.find((kv) => kv.key === this.layout.head)?.modRevision ?? 0;
    this.stats.resyncs++;
    this.warnOnce(`etcd store: reloaded the state at revision ${revision} (${reason})`);
    this.advance(revision);
  }

  /** Fills the live service (not yet followed) with the listed keys. */
  load(kvs: readonly KeyValue[]): void {
    const decoded = decodeState(this.layout, kvs.map((kv) => [kv.key, kv.value] as const));
    fillState(this.service.currentState, decoded);
    this.headRevision = kvs.find((kv) => kv.key === this.layout.head)?.modRevision ?? 0;
  }

  /** Follows the watch from `revision` + 1. */
  start(revision: number): void {
    this.appliedRevision = revision;
    this.watching = this.watchLoop();
  }

  /** the watch failed and has not delivered anything since (see watchLoop) */
  private watchLost = false;

  private async watchLoop(): Promise<void> {
    let backoff = 50;
    while (!this.isClosed()) {
      let silent = false;
      try {
        const stream = await this.client.watch();
        const stop = (): void => stream.close();
        if (this.stopWatch.signal.aborted) stop();
        this.stopWatch.signal.addEventListener('abort', stop, { once: true });
        const stopProbe = stream.probeLiveness(this.silentAfterMs, () => (silent = true));
        try {
          stream.add(this.layout.prefix, this.rangeEnd, this.appliedRevision + 1);
          for await (const msg of stream) {
            backoff = 50;
            if (this.watchLost) {
              this.watchLost = false;
              this.warn(`etcd store: watch resumed from revision ${this.appliedRevision + 1}`);
            }
            if (msg.progress || msg.created) continue;
            if (msg.compactRevision > 0) {
              await this.resync(`revision ${this.appliedRevision + 1} was compacted (compact revision ${msg.compactRevision})`);
              break;
            }
            if (msg.canceled) throw new EtcdUnavailable(`the watch was cancelled: ${msg.cancelReason}`);
            const reason = this.applyEvents(msg.events);
            if (reason !== undefined) {
              await this.resync(reason);
              break;
            }
          }
          if (silent) throw new EtcdUnavailable(`${stream.endpoint} said nothing for ${this.silentAfterMs} ms`);
        } finally {
          stopProbe();
          this.stopWatch.signal.removeEventListener('abort', stop);
          stream.close();
        }
      } catch (e) {
        if (this.isClosed()) return;
        if (silent) this.stats.silentReopens++;
        if (!this.watchLost) {
          // Once per outage (each endpoint refusing in turn is the same outage), and once back.
          this.watchLost = true;
          this.warn(`etcd store: watch interrupted (${(e as Error).message}); reconnecting`);
        }
        if (silent) continue; // the next member at once
      }
      if (this.isClosed()) return;
      // Jittered backoff capped near one second, as the issue asks of agents.
      await sleep(backoff / 2 + Math.random() * (backoff / 2), undefined, { signal: this.stopWatch.signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, 1000);
    }
  }

  /** Applies whole revisions in order; returns why a resync is needed, if it is. */
  private applyEvents(events: readonly WatchEvent[]): string | undefined {
    let i = 0;
    while (i < events.length) {
      const revision = events[i]!.modRevision;
      let j = i;
      while (j < events.length && events[j]!.modRevision === revision) j++;
      const group = events.slice(i, j);
      i = j;
      if (revision <= this.appliedRevision) continue; // delivered again after a reconnect
      const reason = this.applyRevision(revision, group);
      if (reason !== undefined) return reason;
      this.advance(revision);
    }
    return undefined;
  }

  private applyRevision(revision: number, events: readonly WatchEvent[]): string | undefined {
    const headEvent = events.find((e) => e.key === this.layout.head && e.type === 'put');
    const stateEvents = events.filter((e) => this.layout.parse(e.key) !== undefined);
    if (headEvent === undefined) {
      return stateEvents.length > 0 ? `revision ${revision} changed state keys without ${this.layout.head}` : undefined;
    }
    const head = parseHead(headEvent.value);
    if (head === undefined) return `revision ${revision}: ${this.layout.head} does not hold a change`;
    if (head.after !== this.headRevision) return `revision ${revision} follows head ${head.after}, this server holds ${this.headRevision}`;
    if (head.action === FENCE_ACTION && stateEvents.length === 0) {
      this.headRevision = revision; // nothing to replay
      return undefined;
    }
    if (head.params === undefined || head.ids === undefined) return `revision ${revision} is an ${head.action}`;
    const before = this.service.currentState;
    this.ids.beginReplay(head.ids);
    try {
      runStoreAction(this.service, head.action, head.params);
    } catch (e) {
      this.ids.endReplay();
      return `replaying ${head.action} of revision ${revision} failed: ${(e as Error).message}`;
    }
    if (!this.ids.endReplay()) return `replaying ${head.action} of revision ${revision} drew other ids`;
    if (!sameChanges(diffStates(this.layout, before, this.service.currentState), stateEvents)) {
      return `replaying ${head.action} of revision ${revision} does not give its keys`;
    }
    this.headRevision = revision;
    this.stats.replayed++;
    return undefined;
  }

  private warnOnce(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.warn(message);
  }

  /** Stops the watch; whoever still waits is let go. */
  async stop(): Promise<void> {
    this.stopWatch.abort();
    await this.watching;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}
