// How long a judging thread's loop was held by something other than packets (issue 15 item 3: a
// worker must never pause long on a change): the control messages it handled (a model delta
// applied and recompiled, a reload), its garbage collections, and how late its event loop ran at
// worst (perf_hooks' event-loop delay: any of those, a long batch, or the thread waiting for a core).
// Read at stop (the host workers' stop line) and by bench/control-plane-load.mjs.
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';

export interface ThreadPauseStats {
  /** control messages handled, their total and longest time (ms) */
  controls: number;
  controlTotalMs: number;
  controlMaxMs: number;
  /** garbage collections seen and the longest (ms); of them, full (mark-compact) ones */
  gcs: number;
  gcMaxMs: number;
  gcMajors: number;
  gcMajorMaxMs: number;
  /** the event loop's worst lateness (ms), sampled every 10 ms */
  loopDelayMaxMs: number;
}

/** No pause yet: what sums of several threads' pauses start from. */
export function noPauses(): ThreadPauseStats {
  return { controls: 0, controlTotalMs: 0, controlMaxMs: 0, gcs: 0, gcMaxMs: 0, gcMajors: 0, gcMajorMaxMs: 0, loopDelayMaxMs: 0 };
}

/** Adds one thread's pauses into `sum`: counts and totals add, the longest is the longest of any. */
export function addPauses(sum: ThreadPauseStats, p: ThreadPauseStats): void {
  sum.controls += p.controls;
  sum.controlTotalMs += p.controlTotalMs;
  sum.gcs += p.gcs;
  sum.gcMajors += p.gcMajors;
  sum.controlMaxMs = Math.max(sum.controlMaxMs, p.controlMaxMs);
  sum.gcMaxMs = Math.max(sum.gcMaxMs, p.gcMaxMs);
  sum.gcMajorMaxMs = Math.max(sum.gcMajorMaxMs, p.gcMajorMaxMs);
  sum.loopDelayMaxMs = Math.max(sum.loopDelayMaxMs, p.loopDelayMaxMs);
}

export class ThreadPauses {
  private readonly stats: ThreadPauseStats = noPauses();
  private readonly gc: PerformanceObserver;
  private readonly loop: IntervalHistogram;

  constructor() {
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.stats.gcs++;
        if (e.duration > this.stats.gcMaxMs) this.stats.gcMaxMs = e.duration;
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          this.stats.gcMajors++;
          if (e.duration > this.stats.gcMajorMaxMs) this.stats.gcMajorMaxMs = e.duration;
        }
      }
    });
    this.gc.observe({ entryTypes: ['gc'] });
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  /** Runs one control message's work, timed. */
  control<T>(work: () => T): T {
    const t0 = performance.now();
    try {
      return work();
    } finally {
      const ms = performance.now() - t0;
      this.stats.controls++;
      this.stats.controlTotalMs += ms;
      if (ms > this.stats.controlMaxMs) this.stats.controlMaxMs = ms;
    }
  }

  read(): ThreadPauseStats {
    // the histogram's delay includes its own 10 ms period
    return { ...this.stats, loopDelayMaxMs: Math.max(0, this.loop.max / 1e6 - 10) };
  }

  close(): void {
    this.gc.disconnect();
    this.loop.disable();
  }
}
