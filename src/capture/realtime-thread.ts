// The typed face of native-bindings/sched: the calling thread in the real-time SCHED_FIFO class
// (`sgfw run --realtime-workers`: each packet worker calls it as it starts). Loaded here, where
// native addons load; the live worker pool decides when (live/live-worker.ts). A woken worker then
// runs at once, ahead of every normal-class thread on the host (the control plane, API clients,
// other programs), instead of waiting for a core behind them: measured in BENCHMARKS.md (issue 15
// item 3), where the workers' waits for a core were what made a ping late under an API flood.
// The kernel's real-time throttling (kernel.sched_rt_runtime_us, 95% by default) still leaves the
// rest of the host 5% of each core if a worker never sleeps (a packet flood).
import { createRequire } from 'node:module';
import { BUILD_ADDONS_COMMAND } from './missing-addon.js';

export const SCHED_ADDON = new URL('../../native-bindings/sched/build/Release/sched.node', import.meta.url);

/** The real-time priority the workers take: above the normal class, below the kernel's own threads (50). */
export const REALTIME_PRIORITY = 10;

/** The worker threads cannot take the real-time class: the addon or the kernel refused (exit 1 at start). */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError';
}

interface SchedAddon {
  setFifo(priority: number): number;
  current(): ThreadScheduling;
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

/** The calling thread's scheduling class, or null when the addon is not built. */
export function threadScheduling(addonPath: string = SCHED_ADDON.pathname): ThreadScheduling | null {
  try {
    return load(addonPath).current();
  } catch {
    return null;
  }
}
