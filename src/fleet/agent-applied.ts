// What a fleet agent enforces: its view of the concerned keys, the etcd revision that view is the
// state of, the ranges it covers, and the listeners that hear each applied change. The follower
// (agent-follow.ts) and the reconcile (agent-reconcile.ts) both change it, one at a time on `queue`.
import { SerialQueue } from '../control/serial-queue.js';
import type { EtcdClient } from './etcd-client.js';
import { FleetView, isEmptyChange, mergeChanges, rangeEnd, type ConcernedRange, type KeyEvent, type ViewChange } from './agent-view.js';
import type { AppliedListener, FleetAgentStats } from './agent-options.js';
import type { KeyLayout } from './key-layout.js';

export interface Listing {
  revision: number;
  kvs: Map<string, { value: string; modRevision: number }>;
}

export const rangeId = (r: ConcernedRange): string => (r.prefix ? `${r.key}*` : r.key);

export const noChange = (): ViewChange => ({ groupIds: [], interfaceIds: [], prefixListIds: [] });

export class AppliedState {
  /** every change of the view runs here, one after another */
  readonly queue = new SerialQueue();
  private applied = 0;
  /** ranges the open stream watches (or the last listing covered) */
  private covered = new Set<string>();
  /** part of a revision may be in the view: the next applied change rebuilds everything */
  private fullRebuildPending = false;
  private readonly listeners = new Set<AppliedListener>();

  constructor(
    readonly view: FleetView,
    private readonly layout: KeyLayout,
    readonly client: EtcdClient,
    private readonly hostId: string,
    private readonly region: string | undefined,
    private readonly stats: FleetAgentStats,
    /** after every applied change (the state file is saved) */
    private readonly onEmitted: () => void,
  ) {}

  /** the etcd revision whose state is in force */
  get revision(): number {
    return this.applied;
  }

  advanceTo(revision: number): void {
    this.applied = Math.max(this.applied, revision);
  }

  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lists every concerned range at one revision (the newest, or `atRevision`), following references. */
  async listConcerned(atRevision?: number): Promise<Listing> {
    const scratch = new FleetView(this.layout, this.hostId, this.region);
    const kvs = new Map<string, { value: string; modRevision: number }>();
    const fetched = new Set<string>();
    let revision = atRevision;
    for (;;) {
      const todo = scratch.concernedRanges().filter((r) => !fetched.has(rangeId(r)));
      if (todo.length === 0) break;
      const results = await Promise.all(todo.map((r) => this.client.range(r.key, rangeEnd(r), revision)));
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

  /** On the queue: makes the view equal a listing and applies the difference. */
  install(listing: Listing): string[] {
    const { change, differing } = this.view.replaceWith(listing.kvs, listing.revision);
    const ranges = this.view.concernedRanges();
    this.view.prune(ranges);
    this.cover(ranges);
    this.advanceTo(listing.revision);
    this.emit(change);
    return differing;
  }

  /** `ranges` are what the open stream watches (or the last listing covered). */
  cover(ranges: readonly ConcernedRange[]): void {
    this.covered = new Set(ranges.map(rangeId));
  }

  /** Whether the view depends on other ranges than those covered. */
  coverageChanged(): boolean {
    const ranges = this.view.concernedRanges();
    return ranges.some((r) => !this.covered.has(rangeId(r))) || ranges.length !== this.covered.size;
  }

  /** The covered ranges, in one comparable string. */
  coveredKey(): string {
    return [...this.covered].sort().join('\n');
  }

  /** Lists the ranges the view newly depends on at `revision`, until no new one appears. */
  async coverRanges(revision: number): Promise<ViewChange> {
    let change = noChange();
    for (;;) {
      const ranges = this.view.concernedRanges();
      const todo = ranges.filter((r) => !this.covered.has(rangeId(r)));
      if (todo.length === 0) {
        this.view.prune(ranges);
        this.cover(ranges);
        return change;
      }
      const results = await Promise.all(todo.map((r) => this.client.range(r.key, rangeEnd(r), revision)));
      const events: KeyEvent[] = [];
      todo.forEach((r, k) => {
        this.covered.add(rangeId(r));
        for (const kv of results[k]!.kvs) events.push({ type: 'put', key: kv.key, value: kv.value, modRevision: kv.modRevision });
      });
      change = mergeChanges(change, this.view.applyEvents(events));
    }
  }

  /** The revision of the last API call as of `revision` (0 in an empty store). */
  async lastCallRevision(revision: number): Promise<number> {
    const head = await this.client.range(this.layout.head, undefined, revision);
    return head.kvs[0]?.modRevision ?? 0;
  }

  /** Part of a revision may be in the view: the next change rebuilds everything. */
  markPartial(): void {
    this.fullRebuildPending = true;
  }

  /** Tells the listeners what changed (undefined after markPartial: everything may have). */
  emit(change: ViewChange): void {
    const full = this.fullRebuildPending;
    this.fullRebuildPending = false;
    if (!isEmptyChange(change) || full) this.stats.applies++;
    for (const l of this.listeners) l(this.applied, full ? undefined : change);
    this.onEmitted();
  }
}
