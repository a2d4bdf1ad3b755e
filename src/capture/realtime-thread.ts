// The typed face of native-bindings/sched: the calling thread in the real-time SCHED_FIFO class
// (`sgfw run --realtime-workers`: each packet worker calls it as it starts). Loaded here, where
// native addons load; the live worker pool decides when (live/live-worker.ts). A woken worker then
// runs at once, ahead of every normal-class thread on the host (the control plane, API clients,
// other programs), instead of waiting for a core behind them: measured in BENCHMARKS.md (issue 15
// item 3), where the workers' waits for a core were what made a ping late under an API flood.
// A worker that stays runnable would hold its core from every normal-class thread for up to ~950 ms
// (the kernel's fair server, or its real-time throttling, kernel.sched_rt_runtime_us, leaves them only
// 50 ms of each second), which stalled the API for ~1 s in BENCHMARKS.md (issue 15, fourth pass). So
// each such thread is also put under the addon's guard: a thread that ran REALTIME_GUARD.busyPercent
// of a REALTIME_GUARD.windowMs window goes back to the normal class for REALTIME_GUARD.restMs.
import { createRequire } from 'node:module';
import { BUILD_ADDONS_COMMAND } from './missing-addon.js';

export const SCHED_ADDON = new URL('../../native-bindings/sched/build/Release/sched.node', import.meta.url);

/** The real-time priority the workers take: above the normal class, below the kernel's own threads (50). */
export const REALTIME_PRIORITY = 10;

/** The worker threads cannot take the real-time class: the addon or the kernel refused (exit 1 at start). */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError';
}

/**
 * The real-time guard: every `windowMs` it reads each real-time worker's CPU time; one that ran
 * `busyPercent` of the window or more is sent back to the normal class for `restMs`. So no worker
 * keeps a core from the normal class (the control plane) for much more than one window in a row.
 */
export const REALTIME_GUARD = { windowMs: 10, busyPercent: 90, restMs: 20 } as const;

/** What the guard did to a thread: how often it was sent back to the normal class, and for how long in all. */
export interface RealtimeGuardStats {
  demotions: number;
  demotedMs: number;
  /** the thread is in the normal class now */
  demoted: boolean;
  /** times it could not take the real-time class back (RLIMIT_RTPRIO could not be raised) */
  promoteFailures: number;
}

interface SchedAddon {
  setFifo(priority: number): number;
  current(): ThreadScheduling;
  guard(tid: number, priority: number, windowMs: number, busyPercent: number, restMs: number): void;
  guardStats(tid: number): RealtimeGuardStats | null;
}

/** A thread's scheduling class as the kernel reports it, and its id (`ps -L`'s LWP). */
export interface ThreadScheduling {
  policy: string;
  priority: number;
  tid: number;
}

function load(addonPath: string): SchedAddon {
  try {
    return createRequire(import.meta.url)(addonPath) as SchedAddon;
  } catch (e) {
    const why = String(e instanceof Error ? e.message : e).split('\n')[0];
    throw new RealtimeError(`--realtime-workers: the sched addon does not load (${why}); build it with 'bash scripts/build-native.sh' in a checkout, or '${BUILD_ADDONS_COMMAND}'`);
  }
}

/**
 * Puts the calling thread in SCHED_FIFO at `priority` (children it starts do not inherit it) and
 * returns its thread id; throws one line naming what is missing when the kernel or the addon refuses.
 * `addonPath` is for tests.
 */
export function makeThreadRealtime(priority: number = REALTIME_PRIORITY, addonPath: string = SCHED_ADDON.pathname): number {
  const addon = load(addonPath);
  try {
    return addon.setFifo(priority);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const hint = code === 'EPERM' ? ': needs root or CAP_SYS_NICE (and an RLIMIT_RTPRIO of at least the priority)' : '';
    throw new RealtimeError(`--realtime-workers: a worker thread cannot take SCHED_FIFO priority ${priority} (${(e as Error).message})${hint}`);
  }
}

/**
 * Puts thread `tid` (of this process, made real-time at `priority`) under the real-time guard
 * (REALTIME_GUARD: the first call's settings are the process's); throws one line when it cannot.
 */
export function guardRealtimeThread(tid: number, priority: number, addonPath: string = SCHED_ADDON.pathname): void {
  const addon = load(addonPath);
  try {
    addon.guard(tid, priority, REALTIME_GUARD.windowMs, REALTIME_GUARD.busyPercent, REALTIME_GUARD.restMs);
  } catch (e) {
    throw new RealtimeError(`--realtime-workers: a worker thread cannot be put under the real-time guard (${(e as Error).message})`);
  }
}

/** What the guard did to thread `tid` so far; null when it does not guard it (or the addon is not built). */
export function realtimeGuardStats(tid: number, addonPath: string = SCHED_ADDON.pathname): RealtimeGuardStats | null {
  try {
    return load(addonPath).guardStats(tid);
  } catch {
    return null;
  }
}

/** The calling thread's scheduling class, or null when the addon is not built. */
export function threadScheduling(addonPath: string = SCHED_ADDON.pathname): ThreadScheduling | null {
  try {
    return load(addonPath).current();
  } catch {
    return null;
  }
}
