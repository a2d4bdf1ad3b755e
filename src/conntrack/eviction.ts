// What a full conntrack table gives up for a new flow: the flood policy (Linux's nf_conntrack is
// the model, made attacker-aware). It runs only when the table is full; it reads the records and
// the table's per-interface and per-source counts and names a victim, and the table removes it
// (only the table writes the records, see conntrack-table.ts; flood-policy.ts is the link of its
// class chain that asks for a victim, applies the pressure cut and counts the outcomes).
//
// An entry is *assured* once it was answered: a reply seen, and for TCP the handshake done too
// (ESTABLISHED or later), so a SYN flood's half-open entries, answered by a SYN-ACK but never by
// the third ACK, are not.
// - Pressure (the table applies it to every entry inserted or refreshed): from PRESSURE_FRACTION
//   (90%) full, an unassured entry gets at most UNANSWERED_UNDER_PRESSURE_MS (10 s); those that
//   expire so count `earlyExpired`.
// - Full: `track` first reclaims an expired entry (a bounded scan from the sweep cursor), then,
//   unless `evictUnreplied` is false, evicts one entry among the next EVICT_ENTRIES entries
//   (Eviction.victim: the unassured entry of the heaviest source, the least recently seen among
//   equals; an over-share interface's unassured entries first, its assured ones last), and
//   otherwise refuses and counts `insertFailures` (and `shareRefusals` when the refused flow's
//   interface held its share).
// - Sources: per originator address (hashed into Sources.BUCKETS counters), the unassured entries
//   it holds. A new flow may evict only entries of a source at least as heavy as its own, by
//   order of magnitude: a flood from one address can only replace its own entries, never a
//   light source's pending query; a new light source evicts the flood.
// - Share: an interface's share is the capacity over the interfaces holding entries. In a full
//   table an interface at its share may replace only its own unassured entries; one below it may
//   also evict an over-share interface's assured entries, so no interface keeps more than its
//   share while another needs room. Below full nothing is refused: the share only decides who
//   gives way.
// A refused or evicted flow is still judged by the rules — the table can only take away passes
// that tracking explains, so a full table never lets through what the rules would not allow.
import { Endpoints, Flag, Word } from './record-layout.js';

/**
 * per-source counters of unassured entries: 16 KiB, in cache. Sources sharing a bucket add up,
 * which only ever makes a source look heavier; the hash is seeded, so a sender cannot aim at the
 * bucket of another.
 */
export const enum Sources {
  BUCKETS = 1 << 12,
}
/**
 * entries examined for one to evict when nothing has expired, more than the 16 the chained table
 * looked at (Linux's early_drop: 8), so that a full table of half-answered flows finds a
 * candidate as surely as it did. Counted in entries, not slots: evicting from the cursor's
 * window thins the slots behind it, and a fixed window of slots came up empty.
 */
const EVICT_ENTRIES = 32;
/** and at most this many slots walked for them (a full table is never emptier than 3/8) */
const EVICT_SLOTS = 1024;
/**
 * a source's weight is the order of magnitude of its unassured entries over 2^LIGHT_SHIFT: below
 * 8 every source weighs the same, so the few entries that forged sources leave in each bucket of
 * a spread-out flood are noise, not weight
 */
const LIGHT_SHIFT = 3;
// The victim's tiers, best first; within the unassured ones, +64 opened from outside, + weight.
const RANK_OVER_SHARE_UNASSURED = 3 << 8;
const RANK_OVER_SHARE_ASSURED = 2 << 8;
const RANK_UNASSURED = 1 << 8;

/** A source's weight: the order of magnitude of its unassured entries, 0 below 2^LIGHT_SHIFT. */
function weightOf(unanswered: number): number {
  return 32 - Math.clz32(unanswered >>> LIGHT_SHIFT);
}

/**
 * Does interface `ifIndex` hold its share while another interface holds entries too? Its share:
 * the capacity over the interfaces holding entries (`ifEntries` non-zero, `activeInterfaces` of
 * them), it included. Alone it has no share to keep.
 */
export function atShare(ifEntries: Int32Array, activeInterfaces: number, capacity: number, ifIndex: number): boolean {
  const held = ifEntries[ifIndex];
  const interfaces = activeInterfaces + (held === 0 ? 1 : 0);
  return interfaces > 1 && held >= Math.floor(capacity / interfaces);
}

/** The victim search of one table: its cursor goes on from where the last search stopped. */
export class Eviction {
  private cursor = 0;
  /** the last victim found was an assured entry of an interface over its share */
  tookAssured = false;

  constructor(
    /** the table's records, as signed words */
    private s: Int32Array,
    /** the table's per-source-bucket counts of unassured entries */
    private readonly unanswered: Int32Array,
    private slots: number,
    private readonly capacity: number,
    /** when the entry at slot `i` was last seen (the table knows the timeout it was given) */
    private readonly lastSeenOf: (i: number) => number,
  ) {}

  /** The table resized: its records are now `s`, `slots` of them. */
  retarget(s: Int32Array, slots: number): void {
    this.s = s;
    this.slots = slots;
    this.cursor = 0;
  }

  /**
   * The entry to evict, among the next EVICT_ENTRIES live entries from the cursor, to make room
   * for a flow of interface `ifIndex` from source bucket `source`, or -1. `ifEntries` and
   * `activeInterfaces` are the table's per-interface counts. Who may go, best first:
   * 1. an unassured entry of an interface over its share,
   * 2. an assured entry of an interface over its share (only for an interface below its share:
   *    the share is its due, taken from whoever holds more than theirs),
   * 3. any other unassured entry.
   * In 1 and 3: those opened from outside before those the managed side opened (a flood from
   * forged sources always comes from outside, a pending query goes out), then the heaviest source
   * first (weightOf); and only entries whose source weighs at least as much as the new flow's, and,
   * for a flow opened from outside, only entries opened from outside too. An interface at its
   * share may evict only its own unassured entries. Among equals the least recently seen goes.
   */
  victim(ifIndex: number, source: number, openedInside: boolean, ifEntries: Int32Array, activeInterfaces: number): number {
    const sw = this.s;
    const requesterOver = atShare(ifEntries, activeInterfaces, this.capacity, ifIndex);
    const share = Math.floor(this.capacity / (activeInterfaces + (ifEntries[ifIndex] === 0 ? 1 : 0)));
    const floor = weightOf(this.unanswered[source]);
    let best = -1;
    let bestRank = -1;
    let bestSeen = Infinity;
    const n = this.slots;
    const slots = Math.min(EVICT_SLOTS, n);
    let seen = 0;
    for (let k = 0; k < slots && seen < EVICT_ENTRIES; k++) {
      const i = this.cursor;
      if (++this.cursor === n) this.cursor = 0;
      const w = i * Word.STRIDE;
      const f = sw[w + Word.FLAGS];
      if ((f & Flag.LIVE) === 0) continue;
      seen++;
      const owner = sw[w + Word.INFO] >>> 16;
      const ownerOver = ifEntries[owner] > share;
      let rank: number;
      if ((f & Flag.ASSURED) === 0) {
        if (requesterOver && owner !== ifIndex) continue;
        const weight = weightOf(this.unanswered[sw[w + Word.SOURCE] & Endpoints.SOURCE_MASK]);
        if (weight < floor) continue;
        const openedOutside = ((f & Flag.INSIDE_IS_A) !== 0) !== ((f & Flag.ORIGINATOR_IS_A) !== 0);
        if (!openedInside && !openedOutside) continue;
        rank = (ownerOver ? RANK_OVER_SHARE_UNASSURED : RANK_UNASSURED) + (openedOutside ? 64 : 0) + weight;
      } else {
        if (requesterOver || !ownerOver || owner === ifIndex) continue;
        rank = RANK_OVER_SHARE_ASSURED;
      }
      if (rank < bestRank) continue;
      const lastSeen = this.lastSeenOf(i);
      if (rank > bestRank || lastSeen < bestSeen) {
        best = i;
        bestRank = rank;
        bestSeen = lastSeen;
      }
    }
    this.tookAssured = bestRank === RANK_OVER_SHARE_ASSURED;
    return best;
  }
}
