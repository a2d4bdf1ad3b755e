// ThreadPauses: a full garbage collection is counted as a GC and as a major one (the kind that
// holds a worker longest), and addPauses sums threads: counts add, the longest is the longest.
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

  it('sums threads: counts add, the longest pause is the longest of any', () => {
    const sum = noPauses();
    addPauses(sum, { controls: 2, controlTotalMs: 3, controlMaxMs: 2, gcs: 4, gcMaxMs: 5, gcMajors: 1, gcMajorMaxMs: 5, loopDelayMaxMs: 7 });
    addPauses(sum, { controls: 1, controlTotalMs: 1, controlMaxMs: 1, gcs: 2, gcMaxMs: 9, gcMajors: 2, gcMajorMaxMs: 8, loopDelayMaxMs: 3 });
    expect(sum).toEqual({ controls: 3, controlTotalMs: 4, controlMaxMs: 2, gcs: 6, gcMaxMs: 9, gcMajors: 3, gcMajorMaxMs: 8, loopDelayMaxMs: 7 });
  });
});
