// How long a judging thread's loop was held by something other than packets (issue 15 item 3: a
// worker must never pause long on a change): the control messages it handled (a model delta
// applied and recompiled, a reload), its garbage collections, and how late its event loop ran at
// worst (perf_hooks' event-loop delay: any of those, a long batch, or the thread waiting for a core),
// and, on Linux, how long the thread waited for a core at worst: its run-queue wait from
// /proc/thread-self/schedstat, read every 10 ms (a wait that spans samples counts in the sample it
// ends in, so the worst is a lower bound of the longest wait: close to it, as a waiting thread's timer
// cannot fire). That tells a pause the thread spent working (GC, a change) from one it spent ready
// but not running (another thread or process had the cores).
// Read at stop (the host workers' stop line) and by bench/control-plane-load.mjs.
import { closeSync, openSync, readSync } from 'node:fs';
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
  /** time spent ready to run but waiting for a core (ms): in all, and the most in one 10 ms sample (0 where unknown) */
  coreWaitTotalMs: number;
  coreWaitMaxMs: number;
  /** `--realtime-workers`: times the real-time guard sent the thread back to the normal class (it ran 90% of a 10 ms window), and the time it spent there (ms) */
  realtimeDemotions: number;
  realtimeDemotedMs: number;
}

/** What the real-time guard did to a thread (capture/realtime-thread.ts reads it; live-worker.ts hands it over). */
export interface RealtimeDemotions {
  demotions: number;
  demotedMs: number;
}

/** No pause yet: what sums of several threads' pauses start from. */
export function noPauses(): ThreadPauseStats {
  return { controls: 0, controlTotalMs: 0, controlMaxMs: 0, gcs: 0, gcMaxMs: 0, gcMajors: 0, gcMajorMaxMs: 0, loopDelayMaxMs: 0, coreWaitTotalMs: 0, coreWaitMaxMs: 0, realtimeDemotions: 0, realtimeDemotedMs: 0 };
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
  sum.coreWaitTotalMs += p.coreWaitTotalMs;
  sum.coreWaitMaxMs = Math.max(sum.coreWaitMaxMs, p.coreWaitMaxMs);
  sum.realtimeDemotions += p.realtimeDemotions;
  sum.realtimeDemotedMs += p.realtimeDemotedMs;
}

/**
 * The calling thread's run-queue wait (ns, the second field of /proc/thread-self/schedstat), read
 * into a buffer kept open (no allocation per read); null off Linux or where the kernel has no
 * schedstat.
 */
class CoreWait {
  private readonly buffer = Buffer.alloc(96);
  private constructor(private readonly fd: number) {}

  static open(): CoreWait | null {
    try {
      const wait = new CoreWait(openSync('/proc/thread-self/schedstat', 'r'));
      return wait.readNs() >= 0 ? wait : (wait.close(), null);
    } catch {
      return null;
    }
  }

  /** the wait so far in ns, -1 if unreadable */
  readNs(): number {
    let n: number;
    try {
      n = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
    } catch {
      return -1;
    }
    // "run_ns wait_ns slices\n": skip the first number, parse the second
    let i = 0;
    while (i < n && this.buffer[i] !== 0x20) i++;
    i++;
    let ns = 0;
    let digits = 0;
    for (; i < n; i++, digits++) {
      const c = this.buffer[i]! - 0x30;
      if (c < 0 || c > 9) break;
      ns = ns * 10 + c;
    }
    return digits > 0 ? ns : -1;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class ThreadPauses {
  private readonly stats: ThreadPauseStats = noPauses();
  private readonly gc: PerformanceObserver;
  private readonly loop: IntervalHistogram;
  private readonly coreWait = CoreWait.open();
  private coreWaitNs = 0;
  private readonly sampler: NodeJS.Timeout | null;

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
    this.coreWaitNs = this.coreWait?.readNs() ?? 0;
    this.sampler = this.coreWait ? setInterval(() => this.sampleCoreWait(), 10) : null;
    this.sampler?.unref();
  }

  private sampleCoreWait(): void {
    const ns = this.coreWait!.readNs();
    if (ns < 0) return;
    const ms = (ns - this.coreWaitNs) / 1e6;
    this.coreWaitNs = ns;
    this.stats.coreWaitTotalMs += ms;
    if (ms > this.stats.coreWaitMaxMs) this.stats.coreWaitMaxMs = ms;
  }

  /**
   * Forgets the GCs, the loop's lateness and the waits for a core so far (the control messages
   * stay counted): called as a worker starts judging, so that these say what held it while it
   * judged, not its start-up (its first compile, the model image, the other threads' start-up).
   */
  startJudging(): void {
    this.stats.gcs = 0;
    this.stats.gcMaxMs = 0;
    this.stats.gcMajors = 0;
    this.stats.gcMajorMaxMs = 0;
    this.stats.coreWaitTotalMs = 0;
    this.stats.coreWaitMaxMs = 0;
    this.loop.reset();
    const ns = this.coreWait?.readNs() ?? -1;
    if (ns >= 0) this.coreWaitNs = ns;
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

  /** `realtime`: what the real-time guard did to this thread, if it guards it */
  read(realtime: RealtimeDemotions | null = null): ThreadPauseStats {
    // the histogram's delay includes its own 10 ms period
    return {
      ...this.stats,
      loopDelayMaxMs: Math.max(0, this.loop.max / 1e6 - 10),
      realtimeDemotions: realtime?.demotions ?? 0,
      realtimeDemotedMs: realtime?.demotedMs ?? 0,
    };
  }

  close(): void {
    this.gc.disconnect();
    this.loop.disable();
    if (this.sampler) clearInterval(this.sampler);
    this.coreWait?.close();
  }
}
