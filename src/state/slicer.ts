// Long work on the thread that answers the API, cut into slices: between two small steps the work
// asks `due` (no await while the slice has time left) and, once it is, `pause()` yields to the event loop (so the
// requests waiting there are answered) before the next slice. A slice of a few milliseconds keeps
// an API call from waiting behind a snapshot for longer than that (issue 15 item 3: the snapshot
// every 1,000 calls stopped everything for seconds at 150,000 rules).
// After a slice the work waits as long as the slice ran (at least one turn of the loop), so it takes
// at most about half of the thread while calls keep coming. Yielding for one turn only, the flood
// of bench/control-plane-load.mjs (each call needs several turns: body, journal write, fsync, the
// workers' ack) got about a tenth of the thread while a snapshot was built (its CPU profile), and
// the calls of those seconds made the API's p99.
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';

/** Thrown out of `pause()` once the work was cancelled (the store is closing). */
export class SliceCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export class Slicer {
  private sliceStart = performance.now();
  /** slices yielded so far, and the longest one (ms): what the benchmark reports */
  slices = 0;
  longestMs = 0;
  private cancelledFlag = false;

  constructor(private readonly budgetMs = 4) {}

  /** Stops the work at its next `pause()` (which throws SliceCancelled). */
  cancel(): void {
    this.cancelledFlag = true;
  }

  /** Whether the slice has spent its time (then `pause()`): checked without an await per step. */
  get due(): boolean {
    return this.cancelledFlag || performance.now() - this.sliceStart >= this.budgetMs;
  }

  /** Yields to the event loop (as long as the slice ran) and starts the next slice. */
  async pause(): Promise<void> {
    const ran = performance.now() - this.sliceStart;
    this.longestMs = Math.max(this.longestMs, ran);
    this.slices++;
    if (ran >= 1) await sleep(ran);
    else await yieldToLoop();
    if (this.cancelledFlag) throw new SliceCancelled();
    this.sliceStart = performance.now();
  }
}
