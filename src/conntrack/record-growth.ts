// Growing and shrinking the conntrack records, the third link of ConntrackTable's class chain
// (conntrack-table.ts lists it): the old table while its entries migrate, the resize that swaps in a new one, and the migration
// a few slots at a time.
//
// The table holds as many slots as its flows need, not as its capacity allows: it starts with
// `minSlots`, doubles when more than half full (up to `maxSlots`, where the load stays at most
// 3/4 at capacity) and, when a sweep finds it less than 1/8 full, shrinks to a quarter full.
// A resize never stops the world: the new table takes the old one's place and entries migrate
// incrementally, MIGRATE_BUDGET old slots after each insert and a sweep's budget per sweep,
// and any entry a packet finds in the old table moves at once (findOld). A table whose budget is
// Infinity (a replay's: no frame waits on a wire, so a pause costs nothing but its own work)
// moves every entry when it resizes instead (migrateAll): no old table to probe on a miss, no
// backward shifts in a table about to go, no per-insert migration (`sgfw replay` of the bench's
// 1M frames, 246k flows, four doublings: ~10% less CPU, BENCHMARKS.md). The old table only
// ever loses entries, slot by slot from 0: below `oCursor` it is empty, and removing an entry
// by backward shift (shiftOut) only moves others towards their home and never across an empty
// slot, so every entry still there stays where its probe finds it. New entries go to the
// current table; a lookup that misses there probes the old one. Counts (size, per interface,
// per source) do not change as entries move: only where they are.
import { Double, Flag, Word } from './record-layout.js';
import { recordMemory, type RecordAllocator } from './record-memory.js';
import { RecordStore } from './record-store.js';

export class RecordGrowth extends RecordStore {
  /** the most slots: the power of two at or above 4/3 of `capacity` */
  readonly maxSlots: number;
  /** resizes begun: growths and shrinks */
  resizes = 0;
  /** size above which the table grows (Infinity at maxSlots) */
  protected growAt: number;
  /** old-table slots migrated per insert */
  protected readonly migrateBudget: number;

  // The old table while entries migrate to the current one (see resize): its records' views,
  // masks and the migration cursor, below which its slots are empty. Empty arrays otherwise.
  protected migrating = false;
  protected ou: Uint32Array = new Uint32Array(0);
  protected os: Int32Array = new Int32Array(0);
  protected of: Float64Array = new Float64Array(0);
  protected oSlots = 0;
  private oMask = 0;
  private oHomeMask = 0;
  protected oCursor = 0;
  /** entries left in the old table: at 0 it goes */
  private oLive = 0;
  /** a lower bound of the old table's expiries: its entries are never refreshed where they are */
  protected oEarliest = Infinity;

  /** Starts with `slots` records, grows up to `maxSlots`, migrating `migrateBudget` slots per insert. */
  constructor(
    seed: number,
    slots: number,
    maxSlots: number,
    buckets: number,
    allocate: RecordAllocator | undefined,
    clock: Float64Array,
    migrateBudget: number,
  ) {
    super(seed, slots, buckets, allocate, clock);
    this.maxSlots = maxSlots;
    this.migrateBudget = migrateBudget;
    this.growAt = this.growthPoint();
  }

  /**
   * find() in the old table, after it missed in the current one (`kEmpty` is where the key goes
   * there). An entry found moves to `kEmpty` (a flow that is busy migrates on its next packet):
   * returns its slot in the current table, or -1.
   */
  protected findOld(): number {
    const nowMs = this.clock[0];
    const sw = this.os;
    const mask = this.oMask;
    const hash = this.kHash;
    let i = hash & this.oHomeMask;
    for (;;) {
      const w = i * Word.STRIDE;
      if ((sw[w + Word.FLAGS] & Flag.LIVE) === 0) return -1;
      if (nowMs > this.of[i * Double.STRIDE + Double.EXPIRES]) {
        this.expireOld(i);
        continue;
      }
      if (sw[w + Word.HASH] === hash && this.matches(this.ou, sw, w)) {
        const to = this.kEmpty;
        this.moveOld(i, to);
        return to;
      }
      i = (i + 1) & mask;
    }
  }

  /** The size above which the table doubles: half its slots, or never at maxSlots. */
  protected growthPoint(): number {
    return this.slots < this.maxSlots ? this.slots / 2 : Infinity;
  }

  /** Swaps in an empty table of `slots` slots; the current one's entries migrate from now on. */
  protected resize(slots: number): void {
    if (this.migrating) this.migrate(Infinity);
    this.layoutChanges++;
    const records = recordMemory(slots * Word.STRIDE * 4, this.allocate);
    this.ou = this.u;
    this.os = this.s;
    this.of = this.f;
    this.oSlots = this.slots;
    this.oMask = this.slotMask;
    this.oHomeMask = this.homeMask;
    this.oCursor = 0;
    this.oLive = this.size;
    this.oEarliest = this.earliest;
    this.migrating = true;
    this.memoryKind = records.kind;
    this.u = new Uint32Array(records.buffer, 0, slots * Word.STRIDE);
    this.s = new Int32Array(records.buffer, 0, slots * Word.STRIDE);
    this.f = new Float64Array(records.buffer, 0, slots * Double.STRIDE);
    this.slots = slots;
    this.slotMask = slots - 1;
    this.homeMask = Math.min(this.buckets, slots) - 1;
    this.growAt = this.growthPoint();
    // A new pass over the new table; `earliest` still bounds every entry, wherever it is.
    this.cursor = 0;
    this.passMin = Infinity;
    this.missKeyed = false;
    this.resizes++;
    if (this.oLive === 0) this.endMigration();
    else if (this.migrateBudget === Infinity) this.migrateAll();
  }

  /**
   * Moves every entry of the old table now (expired ones are removed instead), slot by slot in
   * order, and lets the old table go: none of it is read again, so no shift closes the gaps.
   */
  private migrateAll(): void {
    const from = this.os;
    const fromF = this.of;
    const sw = this.s;
    const nowMs = this.clock[0];
    for (let i = 0; i < this.oSlots; i++) {
      const wi = i * Word.STRIDE;
      if ((from[wi + Word.FLAGS] & Flag.LIVE) === 0) continue;
      const e = fromF[i * Double.STRIDE + Double.EXPIRES];
      if (nowMs > e) {
        if ((from[wi + Word.FLAGS] & Flag.EARLY) !== 0) this.earlyExpired++;
        this.forget(from, wi);
        this.expired++;
        continue;
      }
      const wt = this.emptySlotFrom(from[wi + Word.HASH] & this.homeMask) * Word.STRIDE;
      for (let k = 0; k < Word.STRIDE; k++) sw[wt + k] = from[wi + k];
      if (e < this.passMin) this.passMin = e;
    }
    this.layoutChanges++;
    this.endMigration();
  }

  /**
   * Migrates the old table's next `budget` slots (an expired entry is removed instead of moved);
   * when none is left, the old table goes.
   */
  protected migrate(budget: number): void {
    this.missKeyed = false;
    const sw = this.os;
    const n = this.oSlots;
    const nowMs = this.clock[0];
    for (let k = 0; k < budget && this.oLive > 0; k++) {
      const i = this.oCursor;
      if (i === n) break;
      const w = i * Word.STRIDE;
      if ((sw[w + Word.FLAGS] & Flag.LIVE) === 0) this.oCursor = i + 1;
      else if (nowMs > this.of[i * Double.STRIDE + Double.EXPIRES]) this.expireOld(i);
      else this.moveOld(i, this.emptySlotFrom(sw[w + Word.HASH] & this.homeMask));
      // Not i + 1 after a removal or a move: the shift may have brought a later entry into slot i.
    }
    if (this.oLive === 0 || this.oCursor === n) this.endMigration();
  }

  /** Moves the old table's entry at `i` to the current table's empty slot `to`. */
  private moveOld(i: number, to: number): void {
    const from = this.os;
    const sw = this.s;
    const wi = i * Word.STRIDE;
    const wt = to * Word.STRIDE;
    this.layoutChanges++;
    for (let k = 0; k < Word.STRIDE; k++) sw[wt + k] = from[wi + k];
    // Its expiry may be the earliest, and the sweep's pass may be past `to`.
    const e = this.of[i * Double.STRIDE + Double.EXPIRES];
    if (e < this.passMin) this.passMin = e;
    this.shiftOut(this.os, this.of, this.oMask, this.oHomeMask, i);
    if (--this.oLive === 0) this.endMigration();
  }

  /** Removes the old table's expired entry at `i`, counted. */
  protected expireOld(i: number): void {
    if ((this.os[i * Word.STRIDE + Word.FLAGS] & Flag.EARLY) !== 0) this.earlyExpired++;
    this.removeOldAt(i);
    this.expired++;
  }

  /** Removes the old table's entry at `i`. */
  protected removeOldAt(i: number): void {
    this.missKeyed = false;
    this.forget(this.os, i * Word.STRIDE);
    this.shiftOut(this.os, this.of, this.oMask, this.oHomeMask, i);
    if (--this.oLive === 0) this.endMigration();
  }

  /** The old table is empty (or forgotten): it goes. */
  protected endMigration(): void {
    this.migrating = false;
    this.ou = new Uint32Array(0);
    this.os = new Int32Array(0);
    this.of = new Float64Array(0);
    this.oSlots = 0;
    this.oCursor = 0;
    this.oLive = 0;
    this.oEarliest = Infinity;
  }
}
