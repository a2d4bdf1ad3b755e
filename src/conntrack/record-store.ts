// The conntrack records and their removal, the second link of ConntrackTable's class chain
// (conntrack-table.ts lists it): the open-addressed records (one 64-byte record per slot, seen as words, signed words and
// doubles), the counts the flood policy reads (size, per interface, per source), and the one way
// an entry leaves: its counts, then a backward shift that closes the gap (record-layout.ts says
// why no tombstones). Fields of the table, not an object of their own: the per-packet probe
// reads them as the table's own, one hidden class, no second object's loads.
import { Sources } from './eviction.js';
import { Double, Endpoints, Flag, Word } from './record-layout.js';
import { recordMemory, type RecordAllocator, type RecordMemoryKind } from './record-memory.js';
import { ScratchKey } from './scratch-key.js';

/** words per 4 KiB page, to touch each page of the records once */
const PAGE_WORDS = 1024;

export class RecordStore extends ScratchKey {
  /** record slots now (a power of two; the table grows and shrinks, see resize) */
  slots: number;
  /** entries held, including expired ones not yet reclaimed */
  size = 0;
  /** entries removed because their timeout passed (lazily, by sweep, or to make room) */
  expired = 0;
  /** unassured entries removed after the timeout cut under pressure (also in `expired`) */
  earlyExpired = 0;
  /** where the records live (see record-memory.ts): `huge-pages` is the fast case */
  memoryKind: RecordMemoryKind;
  /**
   * The time, in ms, of the packet at hand: `clock[0]`. Kept in a typed array, not passed along:
   * a double argument would be boxed (see i32be in packet/byte-order.ts).
   */
  readonly clock: Float64Array;
  /**
   * Counts every change of where entries are (a removal's shift, an insert, a migration, a
   * resize): a slot found, or an empty slot that ended a probe, holds while it is unchanged.
   */
  layoutChanges = 0;

  /** the records as words: hash, info, ports, addresses, state, flags */
  protected u: Uint32Array;
  /** the same memory, signed: the scalar key words compare and move as int32 */
  protected s: Int32Array;
  /** the same memory as doubles: expiry times */
  protected f: Float64Array;
  /** slots - 1: probe sequences wrap with it */
  protected slotMask: number;
  /** home slot = hash & homeMask (slotMask unless `buckets` narrows it) */
  protected homeMask: number;
  /** `buckets` as a power of two: the most home slots a table of any size uses */
  protected readonly buckets: number;
  /** places the records of every table this one grows or shrinks to */
  protected readonly allocate: RecordAllocator | undefined;
  /** after a find() that missed: the empty slot that ended the probe, where the key would go */
  protected kEmpty = 0;

  /** per interface index: live entries (grown with the table's per-interface timeouts) */
  protected ifEntries = new Int32Array(0);
  /** interfaces with at least one entry: the share is capacity / this */
  protected activeInterfaces = 0;
  /** per source bucket: unassured entries */
  protected readonly unanswered = new Int32Array(Sources.BUCKETS);

  // Sweep state. `earliest` is a lower bound of every live entry's expiry: while `now` is not
  // past it nothing can have expired, so a full table refuses in O(1) instead of scanning.
  protected cursor = 0;
  protected passMin = Infinity;
  protected earliest = Infinity;

  /** `slots` records (a power of two) placed by `allocate`, `buckets` home slots at most. */
  constructor(seed: number, slots: number, buckets: number, allocate: RecordAllocator | undefined, clock: Float64Array) {
    super(seed);
    this.buckets = buckets;
    this.allocate = allocate;
    const records = recordMemory(slots * Word.STRIDE * 4, allocate);
    this.memoryKind = records.kind;
    this.slots = slots;
    this.slotMask = slots - 1;
    this.homeMask = Math.min(buckets, slots) - 1;
    this.u = new Uint32Array(records.buffer, 0, slots * Word.STRIDE);
    this.s = new Int32Array(records.buffer, 0, slots * Word.STRIDE);
    this.f = new Float64Array(records.buffer, 0, slots * Double.STRIDE);
    // Touch every page now: the memory is committed lazily, and a first touch costs a page fault
    // (a microsecond or more) that would otherwise land on the packet that inserts there. Tables
    // that grow later fault their pages in as entries land on them, a page at a time.
    for (let w = 0; w < this.s.length; w += PAGE_WORDS) this.s[w] = 0;
    this.clock = clock;
  }

  /** The first empty slot at or after `i`; there always is one (slots > capacity). */
  protected emptySlotFrom(i: number): number {
    while ((this.s[i * Word.STRIDE + Word.FLAGS] & Flag.LIVE) !== 0) i = (i + 1) & this.slotMask;
    return i;
  }

  /** Removes the expired entry at `i`, counted. */
  protected expire(i: number): void {
    if ((this.s[i * Word.STRIDE + Word.FLAGS] & Flag.EARLY) !== 0) this.earlyExpired++;
    this.removeAt(i);
    this.expired++;
  }

  /** Removes the entry at `i`: its counts, then its slot (see shiftOut). */
  protected removeAt(i: number): void {
    this.missKeyed = false;
    this.forget(this.s, i * Word.STRIDE);
    this.shiftOut(this.s, this.f, this.slotMask, this.homeMask, i);
  }

  /** The entry at word `w` of `sw` leaves the table: the counts it was in. */
  protected forget(sw: Int32Array, w: number): void {
    if (--this.ifEntries[sw[w + Word.INFO] >>> 16] === 0) this.activeInterfaces--;
    if ((sw[w + Word.FLAGS] & Flag.ASSURED) === 0) this.unanswered[sw[w + Word.SOURCE] & Endpoints.SOURCE_MASK]--;
    this.size--;
  }

  /**
   * Empties slot `i` of one table (its views `sw` and `f`, its masks) and closes the gap: each
   * later entry of the cluster whose home is not between the gap and itself moves back into the
   * gap, which moves on to where it was. A moved entry may jump from ahead of the sweep cursor
   * to behind it and so miss this pass: its expiry goes into `passMin`, so the pass's `earliest`
   * still bounds it.
   */
  protected shiftOut(sw: Int32Array, f: Float64Array, mask: number, homeMask: number, i: number): void {
    this.layoutChanges++;
    let gap = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const wj = j * Word.STRIDE;
      if ((sw[wj + Word.FLAGS] & Flag.LIVE) === 0) break;
      const home = sw[wj + Word.HASH] & homeMask;
      // Probe distances, modulo the table: home → j, and gap → j. The entry may fill the gap
      // when its home is at or before the gap, i.e. when the gap is no farther from j than home.
      if (((j - home) & mask) >= ((j - gap) & mask)) {
        const wg = gap * Word.STRIDE;
        for (let k = 0; k < Word.STRIDE; k++) sw[wg + k] = sw[wj + k];
        const e = f[j * Double.STRIDE + Double.EXPIRES];
        if (e < this.passMin) this.passMin = e;
        gap = j;
      }
    }
    sw[gap * Word.STRIDE + Word.FLAGS] = 0;
    f[gap * Double.STRIDE + Double.EXPIRES] = 0;
  }
}
