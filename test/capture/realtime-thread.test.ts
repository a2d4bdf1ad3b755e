// The sched addon's loader: a missing addon is one error naming the flag and the command that
// builds it; where it is built (CI and root machines: setup.sh builds the addons), it reads the
// calling thread's class and id, and its real-time guard sends a real-time thread that stays busy
// back to the normal class, then gives the class back once it has rested (in a worker thread: the
// class is the calling thread's, and the test's own thread must stay in the normal class).
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { guardRealtimeThread, makeThreadRealtime, REALTIME_GUARD, realtimeGuardStats, SCHED_ADDON, threadScheduling } from '../../src/capture/realtime-thread.js';

const rootOrCi = process.getuid?.() === 0 || Boolean(process.env.CI);

describe('realtime-thread', () => {
  it('names the flag and the build command when the addon does not load', () => {
    expect(() => makeThreadRealtime(10, '/nonexistent/sched.node')).toThrow(
      /^--realtime-workers: the sched addon does not load \(Cannot find module '\/nonexistent\/sched.node'.*\); build it with 'bash scripts\/build-native.sh'/,
    );
    expect(threadScheduling('/nonexistent/sched.node')).toBeNull();
    expect(() => guardRealtimeThread(process.pid, 10, '/nonexistent/sched.node')).toThrow(/^--realtime-workers: the sched addon does not load/);
  });

  it.runIf(rootOrCi)('reads this thread: the normal class, its id the process id (the main thread)', () => {
    expect(existsSync(SCHED_ADDON)).toBe(true);
    expect(threadScheduling()).toEqual({ policy: 'other', priority: 0, tid: process.pid });
  });

  it('has nothing to say about a thread it does not guard', () => {
    expect(realtimeGuardStats(process.pid, '/nonexistent/sched.node')).toBeNull();
    if (existsSync(SCHED_ADDON)) expect(realtimeGuardStats(process.pid)).toBeNull();
  });

  it.runIf(rootOrCi)('sends a real-time thread that stays busy back to the normal class, and gives the class back once it rested', async () => {
    // a busy loop of 300 ms in SCHED_FIFO: without the guard it would hold its core all along
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addon);
      const { windowMs, busyPercent, restMs } = workerData.guard;
      const tid = addon.setFifo(10);
      addon.guard(tid, 10, windowMs, busyPercent, restMs);
      const seen = new Set();
      const t0 = Date.now();
      while (Date.now() - t0 < 300) seen.add(addon.current().policy);
      const busy = addon.guardStats(tid);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
      parentPort.postMessage({ seen: [...seen].sort(), busy, rested: addon.current().policy, after: addon.guardStats(tid) });
    `;
    const worker = new Worker(code, { eval: true, workerData: { addon: SCHED_ADDON.pathname, guard: REALTIME_GUARD } });
    const result = await new Promise<{ seen: string[]; busy: { demotions: number }; rested: string; after: { demotions: number; demoted: boolean; demotedMs: number; promoteFailures: number } }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(result.seen).toEqual(['fifo', 'other']);
    expect(result.busy.demotions).toBeGreaterThanOrEqual(1);
    expect(result.rested).toBe('fifo');
    expect(result.after).toMatchObject({ demoted: false, promoteFailures: 0 });
    expect(result.after.demotedMs).toBeGreaterThanOrEqual(REALTIME_GUARD.restMs);
  });
});
