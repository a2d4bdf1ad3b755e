// ThreadPauses: a full garbage collection is counted as a GC and as a major one (the kind that
// holds a worker longest), the time the thread waited for a core is read from the kernel, and
// addPauses sums threads: counts add, the longest is the longest.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { addPauses, noPauses, ThreadPauses } from '../../src/observe/thread-pauses.js';

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

describe('ThreadPauses', () => {
  it('counts a full collection as a major GC', async () => {
    const pauses = new ThreadPauses();
    fullGc();
    for (let i = 0; i < 20 && pauses.read().gcMajors === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const s = pauses.read();
    pauses.close();
    expect(s.gcMajors).toBeGreaterThanOrEqual(1);
    expect(s.gcs).toBeGreaterThanOrEqual(s.gcMajors);
    expect(s.gcMajorMaxMs).toBeGreaterThan(0);
    expect(s.gcMajorMaxMs).toBeLessThanOrEqual(s.gcMaxMs);
  });

  it.runIf(process.platform === 'linux')('measures the time this thread waited for a core, from its schedstat', async () => {
    const pauses = new ThreadPauses();
    // two busy threads per core for ~300 ms: this one must wait for a core now and then
    const { Worker } = await import('node:worker_threads');
    const { availableParallelism } = await import('node:os');
    const spin = 'const end = Date.now() + 300; while (Date.now() < end);';
    const busy = Array.from({ length: 2 * availableParallelism() }, () => new Worker(spin, { eval: true }));
    const end = Date.now() + 300;
    while (Date.now() < end) await new Promise((r) => setImmediate(r));
    await Promise.all(busy.map((w) => new Promise((r) => w.once('exit', r))));
    await new Promise((r) => setTimeout(r, 30));
    const s = pauses.read();
    pauses.close();
    expect(s.coreWaitTotalMs).toBeGreaterThan(0);
    expect(s.coreWaitMaxMs).toBeGreaterThan(0);
    expect(s.coreWaitMaxMs).toBeLessThanOrEqual(s.coreWaitTotalMs);
  });

  it('forgets the start-up once judging starts, but not the control messages', () => {
    const pauses = new ThreadPauses();
    pauses.control(() => undefined);
    fullGc();
    return new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() => {
      expect(pauses.read().gcs).toBeGreaterThan(0);
      pauses.startJudging();
      const s = pauses.read();
      pauses.close();
      expect(s).toMatchObject({ controls: 1, gcs: 0, gcMaxMs: 0, gcMajors: 0, gcMajorMaxMs: 0, coreWaitTotalMs: 0, coreWaitMaxMs: 0, loopDelayMaxMs: 0 });
    });
  });

  it("says what the real-time guard did to the thread when told, nothing otherwise", () => {
    const pauses = new ThreadPauses();
    const plain = pauses.read();
    const guarded = pauses.read({ demotions: 2, demotedMs: 41.5 });
    pauses.close();
    expect(plain).toMatchObject({ realtimeDemotions: 0, realtimeDemotedMs: 0 });
    expect(guarded).toMatchObject({ realtimeDemotions: 2, realtimeDemotedMs: 41.5 });
  });

  it('sums threads: counts add, the longest pause is the longest of any', () => {
    const sum = noPauses();
    addPauses(sum, { controls: 2, controlTotalMs: 3, controlMaxMs: 2, gcs: 4, gcMaxMs: 5, gcMajors: 1, gcMajorMaxMs: 5, loopDelayMaxMs: 7, coreWaitTotalMs: 10, coreWaitMaxMs: 4, realtimeDemotions: 3, realtimeDemotedMs: 60 });
    addPauses(sum, { controls: 1, controlTotalMs: 1, controlMaxMs: 1, gcs: 2, gcMaxMs: 9, gcMajors: 2, gcMajorMaxMs: 8, loopDelayMaxMs: 3, coreWaitTotalMs: 5, coreWaitMaxMs: 6, realtimeDemotions: 1, realtimeDemotedMs: 20 });
    expect(sum).toEqual({ controls: 3, controlTotalMs: 4, controlMaxMs: 2, gcs: 6, gcMaxMs: 9, gcMajors: 3, gcMajorMaxMs: 8, loopDelayMaxMs: 7, coreWaitTotalMs: 15, coreWaitMaxMs: 6, realtimeDemotions: 4, realtimeDemotedMs: 80 });
  });
});
