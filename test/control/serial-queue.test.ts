import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/control/serial-queue.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SerialQueue', () => {
  it('runs tasks one at a time, in the order they were queued', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const first = q.run(async () => {
      log.push('first start');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('first end');
      return 1;
    });
    const second = q.run(() => {
      log.push('second');
      return 2;
    });
    await tick();
    expect(log).toEqual(['first start']);
    release();
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(log).toEqual(['first start', 'first end', 'second']);
  });

  it('a failed task rejects its own promise and does not block the next', async () => {
    const q = new SerialQueue();
    const failed = q.run(async () => {
      throw new Error('refused');
    });
    const thrown = q.run(() => {
      throw new Error('thrown');
    });
    const next = q.run(() => 'ran');
    await expect(failed).rejects.toThrow('refused');
    await expect(thrown).rejects.toThrow('thrown');
    expect(await next).toBe('ran');
  });

  it('idle() waits for every queued task and never rejects', async () => {
    const q = new SerialQueue();
    const done: number[] = [];
    void q.run(async () => {
      await tick();
      done.push(1);
    });
    q.run(async () => {
      await tick();
      done.push(2);
      throw new Error('late failure');
    }).catch(() => undefined);
    await q.idle();
    expect(done).toEqual([1, 2]);
    await expect(new SerialQueue().idle()).resolves.toBeUndefined();
  });
});
