// Expiry of the conntrack records, a link of ConntrackTable's class chain (conntrack-table.ts
// lists it): an entry's expiry time, and the sweep that walks the slots from its cursor removing expired entries. The sweep
// keeps `earliest`, a lower bound of every live entry's expiry (record-store.ts holds it with the
// cursor, since removal and migration lower it too): while `now` is not past it nothing can have
// expired, so a full table refuses in O(1) instead of scanning.
import { Double, Flag, Word } from './record-layout.js';
import { RecordGrowth } from './record-growth.js';

export class RecordExpiry extends RecordGrowth {
  /** The entry expires `timeoutMs` after `clock[0]`. */
  protected expireAfter(i: number, timeoutMs: number): void {
    const expiresMs = this.clock[0] + timeoutMs;
    this.f[i * Double.STRIDE + Double.EXPIRES] = expiresMs;
    if (expiresMs < this.earliest) this.earliest = expiresMs;
    if (expiresMs < this.passMin) this.passMin = expiresMs;
  }

  /**
   * Walks `budget` slots from the cursor removing expired entries (stopping at the first when
   * `stopAtFirst`). A full pass leaves in `earliest` the smallest expiry it saw, which with the
   * updates made meanwhile (see expireAfter) and the entries moved behind the cursor (see
   * removeAt) bounds every live entry's expiry from below.
   */
  protected scan(budget: number, stopAtFirst: boolean): number {
    const nowMs = this.clock[0];
    let removed = 0;
    const n = this.slots;
    for (let k = 0; k < budget; k++) {
      const i = this.cursor;
      if ((this.s[i * Word.STRIDE + Word.FLAGS] & Flag.LIVE) !== 0) {
        const e = this.f[i * Double.STRIDE + Double.EXPIRES];
        if (nowMs > e) {
          this.expire(i);
          removed++;
          if (stopAtFirst) break;
          // The cursor stays: the shift may have moved a later entry into this slot.
          continue;
        }
        if (e < this.passMin) this.passMin = e;
      }
      if (++this.cursor === n) {
        this.cursor = 0;
        // The old table's entries are not in the pass: its bound stands for them.
        this.earliest = this.migrating ? Math.min(this.passMin, this.oEarliest) : this.passMin;
        this.passMin = Infinity;
      }
    }
    return removed;
  }
}
