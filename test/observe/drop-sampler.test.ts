import { describe, expect, it } from 'vitest';
import { DropSampler } from '../../src/observe/drop-sampler.js';

describe('dropped packets are logged at most N a second, the rest counted', () => {
  it('lets the first N of a second through and counts the others as suppressed', () => {
    const s = new DropSampler(3);
    const taken = Array.from({ length: 10 }, () => s.take());
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(taken.slice(0, 3)).toEqual([true, true, true]);
    expect(s.suppressed).toBe(7);
    expect(s.tick()).toBe(7);
    expect(s.suppressed).toBe(0);
  });

  it('starts every second with a full budget, and keeps a running total of what it suppressed', () => {
    const s = new DropSampler(2);
    for (let i = 0; i < 5; i++) s.take();
    s.tick();
    expect([s.take(), s.take(), s.take()]).toEqual([true, true, false]);
    expect(s.tick()).toBe(1);
    expect(s.suppressedTotal).toBe(4);
  });

  it('with a rate of 0 logs nothing', () => {
    const s = new DropSampler(0);
    expect([s.take(), s.take()]).toEqual([false, false]);
    expect(() => new DropSampler(-1)).toThrow(RangeError);
  });
});
