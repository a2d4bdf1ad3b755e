// At most `perSecond` drop lines per second: a flood of dropped packets must not become a flood
// of logs (and of CPU spent writing them). The per-packet cost is one comparison and one increment;
// `tick` (once a second, from a timer) refills the budget and hands back how many were suppressed.

export class DropSampler {
  private budget: number;
  /** drops not logged since the last tick */
  suppressed = 0;
  /** drops not logged since the start */
  suppressedTotal = 0;

  constructor(readonly perSecond: number) {
    if (!Number.isInteger(perSecond) || perSecond < 0) throw new RangeError(`drop log rate ${perSecond} is not a whole number ≥ 0`);
    this.budget = perSecond;
  }

  /** true: log this drop; false: it was counted as suppressed */
  take(): boolean {
    if (this.budget > 0) {
      this.budget--;
      return true;
    }
    this.suppressed++;
    this.suppressedTotal++;
    return false;
  }

  /** Starts a new second; returns the drops suppressed in the one that ended. */
  tick(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    this.budget = this.perSecond;
    return n;
  }
}
