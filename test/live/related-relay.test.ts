// The question an ICMP error's worker asks the others (host mode on workers): the first yes settles
// it related, all no settles it dropped, silence drops it at the timeout, and past the cap of open
// questions an error is refused at once. Real MessagePorts, in one thread.
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { RelatedRelay } from '../../src/live/related-relay.js';

const relays: { close(): void }[] = [];
afterEach(() => {
  for (const r of relays.splice(0)) r.close();
});

/** Collects settlements in order; `next()` waits for the next one. */
function settled<T>(): { settle: (item: T, related: boolean) => void; next: () => Promise<[T, boolean]> } {
  const waiting: ((r: [T, boolean]) => void)[] = [];
  const done: [T, boolean][] = [];
  return {
    settle: (item, related) => {
      const w = waiting.shift();
      if (w) w([item, related]);
      else done.push([item, related]);
    },
    next: () => (done.length > 0 ? Promise.resolve(done.shift()!) : new Promise((r) => waiting.push(r))),
  };
}

describe('RelatedRelay', () => {
  it('settles related on any yes, dropped when every other worker says no', async () => {
    // three workers: A asks B and C; B tracks frames starting with 1, C those starting with 2
    const ab = new MessageChannel();
    const ac = new MessageChannel();
    const a = settled<string>();
    const asker = new RelatedRelay<string>([ab.port1, ac.port1], () => false, a.settle);
    const b = new RelatedRelay<string>([ab.port2], (f) => f[0] === 1, () => undefined);
    const c = new RelatedRelay<string>([ac.port2], (f) => f[0] === 2, () => undefined);
    relays.push(asker, b, c);
    expect(asker.canAsk()).toBe(true);
    asker.ask('b-tracks', new Uint8Array([1]));
    expect(await a.next()).toEqual(['b-tracks', true]);
    asker.ask('c-tracks', new Uint8Array([2]));
    expect(await a.next()).toEqual(['c-tracks', true]);
    asker.ask('nobody', new Uint8Array([3]));
    expect(await a.next()).toEqual(['nobody', false]);
    expect(asker.counters).toEqual({ deferred: 3, handedOver: 2, timeouts: 0, overflows: 0 });
  });

  it('drops at the timeout when nobody answers, and refuses past the cap', async () => {
    const { port1 } = new MessageChannel(); // the other end never answers
    const a = settled<number>();
    const asker = new RelatedRelay<number>([port1], () => false, a.settle, 20, 2);
    relays.push(asker);
    expect(asker.canAsk()).toBe(true);
    asker.ask(1, new Uint8Array([1]));
    asker.ask(2, new Uint8Array([1]));
    expect(asker.canAsk()).toBe(false);
    expect(asker.counters.overflows).toBe(1);
    expect(await a.next()).toEqual([1, false]);
    expect(await a.next()).toEqual([2, false]);
    expect(asker.counters.timeouts).toBe(2);
    expect(asker.canAsk()).toBe(true);
  });

  it('has nobody to ask without peers, and settles what is open as dropped on close', () => {
    expect(new RelatedRelay<number>([], () => false, () => undefined).canAsk()).toBe(false);
    const { port1 } = new MessageChannel();
    const got: [number, boolean][] = [];
    const asker = new RelatedRelay<number>([port1], () => false, (i, r) => got.push([i, r]));
    asker.ask(7, new Uint8Array([1]));
    asker.close();
    expect(got).toEqual([[7, false]]);
  });
});
