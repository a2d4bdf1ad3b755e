import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS, CT_RELATED } from '../../src/conntrack/index.js';
import { ACK, AWS_DEFAULTS, icmp, icmpError, packet, S, SYN, tcp, udp } from './packets.js';

const ME = '10.0.0.5';
const OTHER_ME = '10.0.0.6';
const PEER = '203.0.113.1';

describe('flows are tracked per interface', () => {
  it('a flow tracked on one interface does not pass on another', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, udp(ME, 5000, PEER, 53), true, 0, AWS_DEFAULTS);
    expect(ct.lookup(1, udp(PEER, 53, ME, 5000), false, 1)).toBe(CT_MISS);
    expect(ct.lookup(0, udp(PEER, 53, ME, 5000), false, 1)).toBe(CT_ESTABLISHED);
  });

  it('traffic between two managed interfaces is tracked on each one separately', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, tcp(ME, 40000, OTHER_ME, 5432, SYN), true, 0, AWS_DEFAULTS);
    expect(ct.lookup(1, tcp(ME, 40000, OTHER_ME, 5432, SYN), false, 0)).toBe(CT_MISS);
    ct.track(1, tcp(ME, 40000, OTHER_ME, 5432, SYN), false, 0, AWS_DEFAULTS);
    expect(ct.size).toBe(2);
    expect(ct.lookup(1, tcp(OTHER_ME, 5432, ME, 40000, SYN | ACK), true, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, tcp(OTHER_ME, 5432, ME, 40000, SYN | ACK), false, 1)).toBe(CT_ESTABLISHED);
  });

  it("each interface's timeouts apply to its own flows", () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, udp(ME, 5000, PEER, 53), true, 0, AWS_DEFAULTS);
    ct.track(1, udp(OTHER_ME, 5000, PEER, 53), true, 0, { ...AWS_DEFAULTS, udp: 60 });
    expect(ct.lookup(0, udp(PEER, 53, ME, 5000), false, 45 * S)).toBe(CT_MISS);
    expect(ct.lookup(1, udp(PEER, 53, OTHER_ME, 5000), false, 45 * S)).toBe(CT_ESTABLISHED);
  });

  it('removing an interface forgets its flows only', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, udp(ME, 5000, PEER, 53), true, 0, AWS_DEFAULTS);
    ct.track(1, udp(OTHER_ME, 5000, PEER, 53), true, 0, AWS_DEFAULTS);
    expect(ct.removeFlowsOf(0)).toBe(1);
    expect(ct.lookup(0, udp(PEER, 53, ME, 5000), false, 1)).toBe(CT_MISS);
    expect(ct.lookup(1, udp(PEER, 53, OTHER_ME, 5000), false, 1)).toBe(CT_ESTABLISHED);
    expect(ct.size).toBe(1);
  });

  it('an interface index past 65535 is refused loudly', () => {
    const ct = new ConntrackTable({ capacity: 4 });
    expect(() => ct.track(70000, udp(ME, 1, PEER, 2), true, 0, AWS_DEFAULTS)).toThrow(RangeError);
  });
});

describe('IPv6 flows are keyed on all 128 bits', () => {
  it('addresses that differ only in the low word, or only in the high word, are different flows', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, udp('2001:db8::5', 5000, '2001:db8::53', 53), true, 0, AWS_DEFAULTS);
    expect(ct.lookup(0, udp('2001:db8::53', 53, '2001:db8::5', 5000), false, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, udp('2001:db8::54', 53, '2001:db8::5', 5000), false, 1)).toBe(CT_MISS);
    expect(ct.lookup(0, udp('2001:db9::53', 53, '2001:db8::5', 5000), false, 1)).toBe(CT_MISS);
  });

  it('an IPv4 flow and an IPv4-compatible IPv6 flow with the same low words are different', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, udp('10.0.0.5', 5000, '10.0.0.53', 53), true, 0, AWS_DEFAULTS);
    expect(ct.lookup(0, udp('::10.0.0.53', 53, '::10.0.0.5', 5000), false, 1)).toBe(CT_MISS);
  });

  it("an IPv4 packet decoded into a view that held IPv6 words still finds its flow", () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(0, udp(ME, 5000, PEER, 53), true, 0, AWS_DEFAULTS);
    const view = udp('2001:db8::1', 1, '2001:db8::2', 2);
    packet({ src: PEER, dst: ME, protocol: 17, sport: 53, dport: 5000 }, view);
    view.src[1] = 0xdead; // what a decoder that writes word 0 only would leave behind
    view.dst[3] = 0xbeef;
    expect(ct.lookup(0, view, false, 1)).toBe(CT_ESTABLISHED);
  });
});

describe('flows whose keys share a hash bucket are told apart', () => {
  it('with a single bucket every flow still finds its own entry and expires on its own', () => {
    const ct = new ConntrackTable({ capacity: 64, buckets: 1 });
    for (let port = 1; port <= 50; port++) ct.track(0, udp(ME, port, PEER, 53), true, port * 0.5 * S, AWS_DEFAULTS);
    expect(ct.size).toBe(50);
    // at 40.5 s, flows 1..20 (last seen ≤ 10 s) have expired, 21..50 have not
    for (let port = 1; port <= 50; port++) {
      expect(ct.lookup(0, udp(PEER, 53, ME, port), false, 40.5 * S)).toBe(port <= 20 ? CT_MISS : CT_ESTABLISHED);
    }
    expect(ct.lookup(0, udp(PEER, 53, ME, 51), false, 40.5 * S)).toBe(CT_MISS);
    expect(ct.expired).toBe(20);
    expect(ct.size).toBe(30);
  });
});

describe('the table is bounded: when it is full, expired entries make room, else the flow is not tracked', () => {
  it('a full table refuses a new flow and counts it, without touching the flows it holds', () => {
    const ct = new ConntrackTable({ capacity: 4, evictUnreplied: false });
    for (let port = 1; port <= 4; port++) expect(ct.track(0, udp(ME, port, PEER, 53), true, 0, AWS_DEFAULTS)).toBe(true);
    expect(ct.track(0, udp(ME, 5, PEER, 53), true, 1, AWS_DEFAULTS)).toBe(false);
    expect(ct.insertFailures).toBe(1);
    expect(ct.fullDrops).toBe(1);
    expect(ct.size).toBe(4);
    expect(ct.lookup(0, udp(PEER, 53, ME, 5), false, 2)).toBe(CT_MISS);
    for (let port = 1; port <= 4; port++) expect(ct.lookup(0, udp(PEER, 53, ME, port), false, 2)).toBe(CT_ESTABLISHED);
  });

  it('an expired entry is reclaimed to make room', () => {
    const ct = new ConntrackTable({ capacity: 4, evictUnreplied: false });
    ct.track(0, udp(ME, 1, PEER, 53), true, 0, AWS_DEFAULTS);
    // answered connections: a table this small is under pressure when full, where unanswered
    // entries (an unanswered SYN too) would get 10 s (see 'floods' below)
    for (let port = 2; port <= 4; port++) {
      ct.track(0, tcp(ME, port, PEER, 22, ACK), true, 0, AWS_DEFAULTS);
      ct.lookup(0, tcp(PEER, 22, ME, port, ACK), false, 0);
    }
    // at 31 s the UDP flow (30 s) has expired, the connections (432000 s) have not
    expect(ct.track(0, udp(ME, 5, PEER, 53), true, 31 * S, AWS_DEFAULTS)).toBe(true);
    expect(ct.expired).toBe(1);
    expect(ct.lookup(0, udp(PEER, 53, ME, 5), false, 32 * S)).toBe(CT_ESTABLISHED);
    expect(ct.track(0, udp(ME, 6, PEER, 53), true, 32 * S, AWS_DEFAULTS)).toBe(false);
  });

  it('with eviction on, an unreplied flow makes room and a replied one never does', () => {
    const ct = new ConntrackTable({ capacity: 2 });
    ct.track(0, udp(ME, 1, PEER, 53), true, 0, AWS_DEFAULTS);
    ct.lookup(0, udp(PEER, 53, ME, 1), false, 0); // replied
    ct.track(0, udp(ME, 2, PEER, 53), true, 0, AWS_DEFAULTS); // unreplied
    expect(ct.track(0, udp(ME, 3, PEER, 53), true, 1, AWS_DEFAULTS)).toBe(true);
    expect(ct.evictions).toBe(1);
    expect(ct.lookup(0, udp(PEER, 53, ME, 2), false, 2)).toBe(CT_MISS);
    expect(ct.lookup(0, udp(PEER, 53, ME, 1), false, 2)).toBe(CT_ESTABLISHED);
    // now both entries have replies: nothing to evict
    ct.lookup(0, udp(PEER, 53, ME, 3), false, 2);
    expect(ct.track(0, udp(ME, 4, PEER, 53), true, 3, AWS_DEFAULTS)).toBe(false);
    expect(ct.insertFailures).toBe(1);
  });

  it('the sweep reclaims expired entries in bounded steps', () => {
    const ct = new ConntrackTable({ capacity: 100 });
    for (let port = 1; port <= 60; port++) ct.track(0, udp(ME, port, PEER, 53), true, 0, AWS_DEFAULTS);
    for (let port = 61; port <= 80; port++) ct.track(0, tcp(ME, port, PEER, 22, SYN), true, 0, AWS_DEFAULTS);
    expect(ct.sweep(31 * S, 10)).toBeLessThanOrEqual(10);
    let total = ct.expired;
    // the budget counts slots examined (a slot emptied is examined again, a later entry may
    // have moved into it): enough steps of ten for a pass over all of them
    for (let k = 0; k < (ct.slots + 60) / 10; k++) {
      const removed = ct.sweep(31 * S, 10);
      expect(removed).toBeLessThanOrEqual(10);
      total += removed;
    }
    expect(ct.expired).toBe(60);
    expect(ct.size).toBe(20);
    expect(total).toBeGreaterThanOrEqual(60);
  });

  it('a full table of live flows refuses a flood quickly, and takes new flows once they expire', () => {
    const ct = new ConntrackTable({ capacity: 1000, evictUnreplied: false });
    for (let port = 1; port <= 1000; port++) ct.track(0, udp(ME, port, PEER, 53), true, 0, AWS_DEFAULTS);
    ct.sweep(1, 1000); // one full pass: the table now knows nothing expires before 30 s
    for (let port = 1001; port <= 2000; port++) expect(ct.track(0, udp(ME, port, PEER, 53), true, 10 * S, AWS_DEFAULTS)).toBe(false);
    expect(ct.insertFailures).toBe(1000);
    expect(ct.track(0, udp(ME, 3000, PEER, 53), true, 31 * S, AWS_DEFAULTS)).toBe(true);
  });

  it('clear forgets everything and frees every slot', () => {
    const ct = new ConntrackTable({ capacity: 3, evictUnreplied: false });
    for (let port = 1; port <= 3; port++) ct.track(0, udp(ME, port, PEER, 53), true, 0, AWS_DEFAULTS);
    ct.clear();
    expect(ct.size).toBe(0);
    for (let port = 4; port <= 6; port++) expect(ct.track(0, udp(ME, port, PEER, 53), true, 0, AWS_DEFAULTS)).toBe(true);
  });
});

describe('the table holds as much memory as its flows need, and gives it back', () => {
  /** a distinct UDP flow per n, from a few hundred peers */
  const flowOf = (n: number, reply = false) => {
    const peer = `198.51.${100 + ((n >> 16) & 3)}.${(n >> 8) & 255}`;
    const port = 1024 + (n & 255);
    return reply ? udp(peer, 53, ME, port) : udp(ME, port, peer, 53);
  };

  it('a million-flow table starts at 2 MiB, grows to what 100k flows need, and finds every flow on the way', () => {
    const ct = new ConntrackTable({ capacity: 1 << 20 });
    expect(ct.slots).toBe(1 << 15);
    expect(ct.byteLength).toBe(2 << 20);
    for (let n = 0; n < 100_000; n++) {
      expect(ct.track(0, flowOf(n), true, 0, AWS_DEFAULTS)).toBe(true);
      // flows inserted long ago, whichever table holds them now
      if (n % 97 === 0) expect(ct.lookup(0, flowOf(n >> 1, true), false, 0)).toBe(CT_ESTABLISHED);
    }
    expect(ct.size).toBe(100_000);
    // doubling past half full: 262,144 slots for 100k flows, not the 2M a million needs
    expect(ct.slots).toBe(1 << 18);
    expect(ct.resizes).toBe(3);
    for (let n = 0; n < 100_000; n += 7) expect(ct.lookup(0, flowOf(n, true), false, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, flowOf(100_000, true), false, 1)).toBe(CT_MISS);
    expect(ct.inserts).toBe(100_000);
  });

  it('a resize keeps the old table while its entries migrate a few at a time, then lets it go', () => {
    const ct = new ConntrackTable({ capacity: 1 << 20, initialSlots: 1024 });
    let n = 0;
    while (ct.resizes === 0) ct.track(0, flowOf(n++), true, 0, AWS_DEFAULTS);
    // the insert that grew the table did not move the 513 entries: both tables are held
    expect(ct.slots).toBe(2048);
    expect(ct.byteLength).toBe((1024 + 2048) * 64);
    for (let k = 0; k < n; k++) expect(ct.lookup(0, flowOf(k, true), false, 0)).toBe(CT_ESTABLISHED);
    // the lookups moved their flows; the old table went with the last of them
    expect(ct.byteLength).toBe(2048 * 64);
    while (ct.resizes === 1) ct.track(0, flowOf(n++), true, 0, AWS_DEFAULTS);
    // and then with the inserts that followed: 16 old slots migrate per insert
    for (let k = 0; k < 4096 / 16 && ct.byteLength > 4096 * 64; k++) ct.track(0, flowOf(n++), true, 0, AWS_DEFAULTS);
    expect(ct.byteLength).toBe(4096 * 64);
    expect(ct.size).toBe(n);
  });

  it("a replay's table (migrateBudget Infinity) moves every entry as it resizes, dropping the expired ones", () => {
    const ct = new ConntrackTable({ capacity: 1 << 20, initialSlots: 1024, migrateBudget: Infinity });
    // 200 flows that will have expired (30 s) when the table first grows, at 31 s
    for (let n = 0; n < 200; n++) ct.track(0, flowOf(n), true, 0, AWS_DEFAULTS);
    let n = 200;
    while (ct.resizes === 0) ct.track(0, flowOf(n++), true, 31 * S, AWS_DEFAULTS);
    // no old table is kept: one table of the new size, the expired entries gone and counted
    expect(ct.slots).toBe(2048);
    expect(ct.byteLength).toBe(2048 * 64);
    expect(ct.expired).toBe(200);
    expect(ct.size).toBe(n - 200);
    for (let k = 200; k < n; k++) expect(ct.lookup(0, flowOf(k, true), false, 32 * S)).toBe(CT_ESTABLISHED);
    for (let k = 0; k < 200; k++) expect(ct.lookup(0, flowOf(k, true), false, 32 * S)).toBe(0);
    // and the sweep shrinks it the same way once its flows are gone
    for (let k = 0; k < 10; k++) ct.sweep(100 * S, 1 << 14);
    expect(ct.size).toBe(0);
    expect(ct.slots).toBe(1024);
    expect(ct.byteLength).toBe(1024 * 64);
  });

  it('when its flows expire, the sweep shrinks it back, and counts them expired', () => {
    const ct = new ConntrackTable({ capacity: 1 << 20 });
    for (let n = 0; n < 50_000; n++) ct.track(0, flowOf(n), true, 0, AWS_DEFAULTS);
    // the last 1,000 flows answered and kept busy past the others' 30 s
    for (let n = 49_000; n < 50_000; n++) ct.lookup(0, flowOf(n, true), false, 20 * S);
    expect(ct.slots).toBe(1 << 17);
    for (let k = 0; k < 100; k++) ct.sweep(31 * S, 1 << 14);
    expect(ct.size).toBe(1000);
    expect(ct.expired).toBe(49_000);
    // a quarter full at most, never below where it started
    expect(ct.slots).toBe(1 << 15);
    expect(ct.byteLength).toBe(2 << 20);
    for (let n = 49_000; n < 50_000; n++) expect(ct.lookup(0, flowOf(n, true), false, 32 * S)).toBe(CT_ESTABLISHED);
    // and it grows again as it must
    for (let n = 50_000; n < 70_000; n++) ct.track(0, flowOf(n), true, 33 * S, AWS_DEFAULTS);
    expect(ct.size).toBe(21_000);
    expect(ct.slots).toBe(1 << 16);
  });

  it('refuses a table that could not start', () => {
    expect(() => new ConntrackTable({ initialSlots: 1000 })).toThrow(/initialSlots must be a power of two of at least 4, got 1000/);
  });
});

describe('a frame between two managed interfaces is keyed once', () => {
  it("the receiver's lookup, reusing the sender's key, answers as a lookup of its own would", () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const twin = new ConntrackTable({ capacity: 64 });
    const frames = [
      udp(ME, 5000, OTHER_ME, 53),
      udp(OTHER_ME, 53, ME, 5000),
      tcp(ME, 40000, OTHER_ME, 22, SYN),
      tcp(OTHER_ME, 22, ME, 40000, SYN | ACK),
      icmp(ME, OTHER_ME, 8, 7),
      icmp(OTHER_ME, ME, 0, 7),
      icmpError(PEER, ME, 3, udp(ME, 5000, OTHER_ME, 53)),
      icmpError(PEER, ME, 3, udp(ME, 5001, OTHER_ME, 53)),
      packet({ src: ME, dst: OTHER_ME, protocol: 47 }),
    ];
    // interface 1 tracks every flow but the last frame's, interface 2 the UDP, echo and GRE ones: the second
    // lookup meets flows tracked on both, on the sender's only, on the receiver's only
    let t = 0;
    frames.forEach((f, k) => {
      for (const table of [ct, twin]) {
        table.clock[0] = ++t;
        if (k < frames.length - 1 && table.lookupNow(1, f) === CT_MISS) table.trackMissNow(1, f, AWS_DEFAULTS, true);
        if (k % 4 === 0 && table.lookupNow(2, f) === CT_MISS) table.trackMissNow(2, f, AWS_DEFAULTS, false);
      }
    });
    const answers = new Set<number>();
    for (const f of frames) {
      ct.clock[0] = twin.clock[0] = ++t;
      const first = ct.lookupNow(1, f);
      expect(first).toBe(twin.lookupNow(1, f));
      // the sender's miss tracked, as the dataplane does when its rules allow
      if (first === CT_MISS) ct.trackMissNow(1, f, AWS_DEFAULTS, true), twin.trackMissNow(1, f, AWS_DEFAULTS, true);
      const second = twin.lookupNow(2, f);
      expect(ct.lookupSameNow(2, f)).toBe(second);
      answers.add(first * 4 + second);
    }
    expect(ct.size).toBe(twin.size);
    // established on both, on one, related, missed on both
    expect(answers.size).toBeGreaterThanOrEqual(4);
  });

  it('a staged frame is keyed once: its lookup takes the key stageKey kept, even across a resize', () => {
    const ct = new ConntrackTable({ capacity: 1 << 12, initialSlots: 4 });
    const frames = [udp(ME, 5000, PEER, 53), tcp(PEER, 22, ME, 40000, SYN | ACK), icmp(ME, PEER, 8, 3), packet({ src: ME, dst: PEER, protocol: 47 })];
    for (const f of frames) ct.track(3, f, true, 0, AWS_DEFAULTS);
    frames.forEach((f, k) => expect(ct.stageKey(f, k)).toBeGreaterThanOrEqual(0));
    // more flows: the table grows from 4 slots, entries migrate
    for (let port = 1; port <= 100; port++) ct.track(3, udp(ME, port, PEER, 53), true, 0, AWS_DEFAULTS);
    expect(ct.resizes).toBeGreaterThan(2);
    frames.forEach((f, k) => {
      // (no generation: the record lookup trusts nothing, the key is kept all the same)
      expect(ct.lookupFlowKeptNow(k)).toBe(-1);
      expect(ct.lookupSameNow(3, f)).toBe(CT_ESTABLISHED);
      expect(ct.lookupSameNow(4, f)).toBe(CT_MISS);
    });
    // the key is the kept one, not the view's: row 1's key finds row 1's flow for frame 0
    ct.lookupFlowKeptNow(1);
    expect(ct.lookupSameNow(3, frames[0]!)).toBe(CT_ESTABLISHED);
    ct.lookupFlowKeptNow(1);
    expect(ct.lookupSameNow(4, frames[0]!)).toBe(CT_MISS);
    // and an ICMP error (stageKey has no key for it) is looked up as ever
    expect(ct.stageKey(icmpError(PEER, ME, 3, udp(ME, 5000, PEER, 53)), 0)).toBe(-1);
    expect(ct.lookupNow(3, icmpError(PEER, ME, 3, udp(ME, 5000, PEER, 53)))).toBe(CT_RELATED);
  });

  it('after another call built a key, it looks the frame up afresh', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const f = udp(ME, 5000, OTHER_ME, 53);
    ct.track(2, f, false, 0, AWS_DEFAULTS);
    expect(ct.lookupNow(1, f)).toBe(CT_MISS);
    ct.homeOf(udp(PEER, 1, ME, 2));
    expect(ct.lookupSameNow(2, f)).toBe(CT_ESTABLISHED);
  });
});
