// The table against the plain Map model of the same semantics, on random traffic: every
// lookup must give the same answer. Few addresses, ports and identifiers so that flows meet
// often; a single hash bucket in some runs so every key collides; time jumps across each timeout.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConntrackTable, ReferenceConntrack } from '../../src/conntrack/index.js';
import type { ConntrackTimeouts } from '../../src/model/model-view.js';
import type { PacketView } from '../../src/packet/packet-view.js';
import { ACK, FIN, icmp, icmpError, packet, RST, SYN } from './packets.js';

const V4 = ['10.0.0.5', '10.0.0.6', '203.0.113.1'];
const V6 = ['2001:db8::5', '2001:db8::6', '2001:db8:1::1'];
const TIMEOUT_SETS: ConntrackTimeouts[] = [
  { tcpEstablished: 432000, udpStream: 180, udp: 30 },
  { tcpEstablished: 60, udpStream: 60, udp: 60 },
];

// every timeout, exactly and a millisecond either side, and short gaps that keep flows alive
const TIMEOUTS_MS = [10_000, 30_000, 60_000, 120_000, 180_000, 600_000];
// (`jumps`: the weight of the jumps across a timeout, against 30 for the short gaps)
const stepsOf = (jumps: number) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(0, 1, 500, 5_000) },
    { weight: jumps, arbitrary: fc.tuple(fc.constantFrom(...TIMEOUTS_MS), fc.constantFrom(-1, 0, 1)).map(([t, d]) => t + d) },
  );

// a conversation between the instance (pool[0]) and one of two peers, in either direction;
// `clientPorts`: how many client ports (more make more flows at once)
const flowOf = (clientPorts: number) =>
  fc.record({
    v6: fc.boolean(),
    peer: fc.constantFrom(1, 2),
    reply: fc.boolean(),
    kind: fc.constantFrom('tcp', 'udp', 'icmp', 'other'),
    clientPort: fc.integer({ min: 1000, max: 999 + clientPorts }),
    flags: fc.nat(0),
    query: fc.nat(4),
    id: fc.nat(1),
  });
type Flow = ReturnType<typeof flowOf> extends fc.Arbitrary<infer T> ? T : never;

const ICMP4 = [8, 0, 13, 14, 9];
const ICMP6 = [128, 129, 134, 128, 129];

function build(f: Flow): PacketView {
  const pool = f.v6 ? V6 : V4;
  const src = pool[f.reply ? f.peer : 0];
  const dst = pool[f.reply ? 0 : f.peer];
  const sport = f.reply ? 53 : f.clientPort;
  const dport = f.reply ? f.clientPort : 53;
  switch (f.kind) {
    case 'tcp':
      return packet({ src, dst, protocol: 6, sport, dport, flags: f.flags });
    case 'udp':
      return packet({ src, dst, protocol: 17, sport, dport });
    case 'icmp':
      return icmp(src, dst, (f.v6 ? ICMP6 : ICMP4)[f.query], f.id);
    default:
      return packet({ src, dst, protocol: 47 });
  }
}

const opOf = (clientPorts: number, jumps: number) => fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      t: fc.constant('packets' as const),
      ifIndex: fc.nat(1),
      flow: flowOf(clientPorts),
      // a burst of packets of one conversation, each way, so flows live through many steps
      burst: fc.array(
        fc.record({
          reply: fc.boolean(),
          flags: fc.subarray([SYN, ACK, FIN, RST]).map((f) => f.reduce((a, b) => a | b, 0)),
          error: fc.nat(5).map((n) => n === 0),
          allowed: fc.boolean(),
          dt: stepsOf(jumps),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remove' as const), ifIndex: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sweep' as const), budget: fc.nat(300) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('timeouts' as const), ifIndex: fc.nat(1), set: fc.nat(1) }) },
);
const op = opOf(2, 20);

type Op = ReturnType<typeof opOf> extends fc.Arbitrary<infer T> ? T : never;

/**
 * Plays `ops` on the table and the reference alike: each packet is looked up in both, and tracked
 * in both when the reference misses and the rules allowed it. `check` compares each lookup's answers.
 */
function play(ops: Op[], fast: ConntrackTable, check: (expected: number, got: number) => void): void {
  const ref = new ReferenceConntrack();
  const timeouts = [TIMEOUT_SETS[0], TIMEOUT_SETS[1]];
  let now = 0;
  for (const o of ops) {
    if (o.t === 'remove') {
      fast.removeFlowsOf(o.ifIndex);
      ref.removeFlowsOf(o.ifIndex);
      continue;
    }
    if (o.t === 'sweep') {
      fast.sweep(now, o.budget);
      continue;
    }
    if (o.t === 'timeouts') {
      timeouts[o.ifIndex] = TIMEOUT_SETS[o.set];
      continue;
    }
    for (const step of o.burst) {
      now += step.dt;
      let p = build({ ...o.flow, reply: step.reply, flags: step.flags });
      // An ICMP error quoting the packet, as a router on its way would send it back.
      const pool = o.flow.v6 ? V6 : V4;
      if (step.error) p = icmpError(pool[2], pool[step.reply ? o.flow.peer : 0], 3, p);
      const outbound = o.ifIndex === 0;
      const expected = ref.lookup(o.ifIndex, p, outbound, now);
      check(expected, fast.lookup(o.ifIndex, p, outbound, now));
      if (expected === 0 && step.allowed) {
        expect(ref.track(o.ifIndex, p, outbound, now, timeouts[o.ifIndex])).toBe(true);
        fast.track(o.ifIndex, p, outbound, now, timeouts[o.ifIndex]);
      }
    }
  }
}

describe('the table answers exactly like the plain reference model', () => {
  it('on random traffic, timelines and interfaces', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), fc.constantFrom(1, 2, 1024), (ops, buckets) => {
        const fast = new ConntrackTable({ capacity: 256, buckets });
        play(ops, fast, (expected, got) => expect(got).toBe(expected));
        // never under pressure (90% of 256): no timeout was cut, nothing evicted or refused
        expect(fast.earlyExpired + fast.evictions + fast.insertFailures).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('while it grows and shrinks, its entries migrating one slot per insert, it answers the same', () => {
    let resized = 0;
    fc.assert(
      fc.property(fc.array(opOf(64, 1), { minLength: 80, maxLength: 200 }), fc.constantFrom(1, 2, 1024), (ops, buckets) => {
        // many client ports, so many flows at once; from 4 slots: every few flows the table doubles, so lookups meet entries in both tables
        const fast = new ConntrackTable({ capacity: 256, buckets, initialSlots: 4, migrateBudget: 1 });
        play(ops, fast, (expected, got) => expect(got).toBe(expected));
        expect(fast.earlyExpired + fast.evictions + fast.insertFailures).toBe(0);
        resized += fast.resizes;
      }),
      { numRuns: 60, seed: 0x9e0 },
    );
    expect(resized).toBeGreaterThan(200);
  });

  it('while it grows and shrinks, its entries all moving at each resize (replay), it answers the same', () => {
    let resized = 0;
    fc.assert(
      fc.property(fc.array(opOf(64, 1), { minLength: 80, maxLength: 200 }), fc.constantFrom(1, 2, 1024), (ops, buckets) => {
        const fast = new ConntrackTable({ capacity: 256, buckets, initialSlots: 4, migrateBudget: Infinity });
        play(ops, fast, (expected, got) => expect(got).toBe(expected));
        expect(fast.earlyExpired + fast.evictions + fast.insertFailures).toBe(0);
        resized += fast.resizes;
      }),
      { numRuns: 60, seed: 0x9e1 },
    );
    expect(resized).toBeGreaterThan(200);
  });

  it('a table under pressure or full only ever forgets: what it says established or related, the reference says too', () => {
    let evicted = 0;
    let cut = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), fc.constantFrom(1, 2, 1024), fc.constantFrom(2, 4, 8), fc.constantFrom(0, 1, Infinity), (ops, buckets, capacity, grows) => {
        // `grows` (a migrate budget): from 4 slots, so that the table also fills while its entries
        // migrate (1), or as they all move at once (Infinity); 0: it starts at its full size
        const fast = new ConntrackTable({ capacity, buckets, ...(grows > 0 ? { initialSlots: 4, migrateBudget: grows } : {}) });
        play(ops, fast, (expected, got) => {
          if (got !== 0) expect(got).toBe(expected);
        });
        if (fast.evictions > 0) evicted++;
        if (fast.earlyExpired > 0) cut++;
      }),
      // a fixed seed: the counts below are then the same on every run
      { numRuns: 400, seed: 0x5eed },
    );
    // the runs did meet evictions and cut timeouts, not only roomy tables
    expect(evicted).toBeGreaterThan(0);
    expect(cut).toBeGreaterThan(0);
  });
});
