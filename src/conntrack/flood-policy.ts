// The conntrack table's flood policy, a link of ConntrackTable's class chain (conntrack-table.ts
// lists it): what the table does when floods fill it (issue 15: floods must not starve real
// flows), with the counters of each outcome. eviction.ts holds the policy's reasons and the victim
// search; this link holds what the table does with them:
// - pressure: from `pressureAt` (PRESSURE_FRACTION of capacity) an unassured entry inserted or
//   refreshed gets at most UNANSWERED_UNDER_PRESSURE_MS (marked EARLY: its expiry then counts in
//   `earlyExpired`, and lastSeenOf knows the timeout it got);
// - a full table (makeRoom): the old table's entries migrate first, then an expired entry is
//   reclaimed (a bounded scan from the sweep cursor), else, unless `evictUnreplied` is false, the
//   entry Eviction names is evicted (an unassured one first, per source and per interface share),
//   else the flow is refused (`insertFailures`, and `shareRefusals` when its interface held its
//   share).
// Nothing here is on the per-packet path: making room runs only when the table is full. The
// pressure test is one comparison, written out where the insert (trackKeyed) and the refresh
// (update) set an entry's timer: as a method it cost trackKeyed the inlining of `find`, whose
// probe loop then ran as a call (V8's budget for what one function inlines, measured with
// --trace-turbo-inlining).
import { EntryTimeouts } from './entry-timeouts.js';
import { atShare, Eviction } from './eviction.js';
import { Double, Flag, Word } from './record-layout.js';
import { PRESSURE_FRACTION, UNANSWERED_UNDER_PRESSURE_MS } from './timeouts.js';

/** slots examined for an expired entry when the table is full and one might exist */
const RECLAIM_BUDGET = 1024;

export class FloodPolicy extends EntryTimeouts {
  /** entries the table holds, all interfaces together: at this size it is full */
  readonly capacity: number;
  /** `track` calls refused because the table was full */
  insertFailures = 0;
  /** entries evicted to make room: evictedUnanswered + evictedOverShare */
  evictions = 0;
  /** unassured entries evicted to make room (early drop) */
  evictedUnanswered = 0;
  /** assured entries of an interface over its share evicted for one below it */
  evictedOverShare = 0;
  /** refusals (also in `insertFailures`) of a flow whose interface held its share of a full table */
  shareRefusals = 0;
  /**
   * size from which the table is under pressure (see PRESSURE_FRACTION): the insert and the
   * refresh then give an unassured entry at most UNANSWERED_UNDER_PRESSURE_MS
   */
  readonly pressureAt: number;
  private readonly evictUnreplied: boolean;

  /** chooses the entry a full table gives up */
  private readonly eviction: Eviction;

  /**
   * `capacity` entries at most, evicting (when `evictUnreplied`) or refusing when full; `records`
   * as RecordGrowth takes them.
   */
  constructor(capacity: number, evictUnreplied: boolean, ...records: ConstructorParameters<typeof EntryTimeouts>) {
    super(...records);
    this.capacity = capacity;
    this.evictUnreplied = evictUnreplied;
    this.pressureAt = Math.ceil(capacity * PRESSURE_FRACTION);
    this.eviction = new Eviction(this.s, this.unanswered, this.slots, capacity, (i) => this.lastSeenOf(i));
  }

  /** alias of `insertFailures`, the name the dataplane counters use */
  get fullDrops(): number {
    return this.insertFailures;
  }

  /**
   * The table is full and interface `ifIndex` wants room for a flow from source bucket `source`,
   * opened by the managed side or not: reclaim an expired entry or evict one. False when neither
   * (the refusal counted).
   */
  protected makeRoom(ifIndex: number, source: number, openedInside: boolean): boolean {
    // Full while entries migrate (a capacity just above a power of two's 3/8 can do it): the
    // old table goes first, so that reclaiming and eviction see one table.
    if (this.migrating) this.migrate(Infinity);
    if (this.clock[0] > this.earliest) this.scan(RECLAIM_BUDGET, true);
    if (this.size >= this.capacity && this.evictUnreplied) this.evictOne(ifIndex, source, openedInside);
    if (this.size < this.capacity) return true;
    this.insertFailures++;
    if (this.evictUnreplied && atShare(this.ifEntries, this.activeInterfaces, this.capacity, ifIndex)) this.shareRefusals++;
    return false;
  }

  /** Evicts the entry the flood policy names for a flow of `ifIndex` from `source`, if any. */
  private evictOne(ifIndex: number, source: number, openedInside: boolean): void {
    const victim = this.eviction.victim(ifIndex, source, openedInside, this.ifEntries, this.activeInterfaces);
    if (victim < 0) return;
    if (this.eviction.tookAssured) this.evictedOverShare++;
    else this.evictedUnanswered++;
    this.removeAt(victim);
    this.evictions++;
  }

  /** resize (see record-growth.ts), the victim search pointed at the new records. */
  protected resizeTo(slots: number): void {
    this.resize(slots);
    this.eviction.retarget(this.s, slots);
  }

  /** When the entry at `i` was last seen: its expiry less the timeout it was given. */
  private lastSeenOf(i: number): number {
    const expires = this.f[i * Double.STRIDE + Double.EXPIRES];
    return expires - ((this.s[i * Word.STRIDE + Word.FLAGS] & Flag.EARLY) !== 0 ? UNANSWERED_UNDER_PRESSURE_MS : this.timeoutOf(i));
  }
}
