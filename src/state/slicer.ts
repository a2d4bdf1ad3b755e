// Long work on the thread that answers the API, cut into slices: between two small steps the work
// asks `due` (no await while the slice has time left) and, once it is, `pause()` yields to the event loop (so the
// requests waiting there are answered) before the next slice. A slice of a few milliseconds keeps
// an API call from waiting behind a snapshot for longer than that (issue 15 item 3: the snapshot
// every 1,000 calls stopped everything for seconds at 150,000 rules).
import { setImmediate as yieldToLoop } from 'node:timers/promises';

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

  /** Yields to the event loop and starts the next slice. */
  async pause(): Promise<void> {
    this.longestMs = Math.max(this.longestMs, performance.now() - this.sliceStart);
    this.slices++;
    await yieldToLoop();
    if (this.cancelledFlag) throw new SliceCancelled();
    this.sliceStart = performance.now();
  }
}
