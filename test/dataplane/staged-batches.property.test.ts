// Judging in staged batches (stage → prefetchStaged → judgeStaged) must give what judgeNow gives
// frame by frame: the same reasons in the same order, the same interfaces and view after each
// frame, the same counters and flows, for any grouping of the frames. And staging must read the
// record a lookup then reads, or the prefetch buys nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConntrackTable } from '../../src/conntrack/index.js';
import { Dataplane, JUDGE_BATCH } from '../../src/dataplane/dataplane.js';
import { REASON_NAMES } from '../../src/dataplane/verdict.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { buildFragments, buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { PacketView } from '../../src/packet/packet-view.js';
import { StaticModel } from '../support/static-model.js';

const HOSTS4 = ['10.0.0.1', '10.0.0.2', '198.51.100.7', '203.0.113.1'];
const HOSTS6 = ['2001:db8::1', '2001:db8::2', '2001:db8:ff::9'];
const PORTS = [22, 53, 80, 443, 40000, 40001];
const v4 = fc.constantFrom(...HOSTS4);
const v6 = fc.constantFrom(...HOSTS6);

const specArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({ src: v4, dst: v4, proto: fc.constantFrom('tcp' as const, 'udp' as const), sport: fc.constantFrom(...PORTS), dport: fc.constantFrom(...PORTS), flags: fc.constantFrom('S', 'SA', 'A', 'FA', 'R') }),
  fc.record({ src: v6, dst: v6, proto: fc.constantFrom('tcp' as const, 'udp' as const), sport: fc.constantFrom(...PORTS), dport: fc.constantFrom(...PORTS), flags: fc.constantFrom('S', 'SA', 'A') }),
  fc.record({ src: v4, dst: v4, proto: fc.constant('icmp' as const), icmp: fc.record({ type: fc.constantFrom(8, 0, 3), id: fc.constantFrom(1, 2), code: fc.constant(0) }) }),
  fc.record({ src: v6, dst: v6, proto: fc.constant('icmpv6' as const), icmp: fc.record({ type: fc.constantFrom(128, 129, 135), id: fc.constantFrom(1, 2), code: fc.constant(0) }) }),
  fc.record({ src: v4, dst: v4, proto: fc.constant(47), payload: fc.constant('x') }),
);

/** A frame as bytes: built from a spec, cut short (malformed), or not IP at all. */
const frameArb: fc.Arbitrary<Uint8Array[]> = fc.oneof(
  { weight: 10, arbitrary: specArb.map((s) => [buildFrame(s)]) },
  { weight: 1, arbitrary: specArb.map((s) => [buildFrame(s).subarray(0, 30)]) },
  { weight: 1, arbitrary: fc.constant(null).map(() => [new Uint8Array(60).fill(0x08, 12, 13)]) },
  { weight: 1, arbitrary: v4.map((dst) => buildFragments({ src: '198.51.100.7', dst, proto: 'udp', sport: 5, dport: 53, payload: 'f'.repeat(40) }, 16)) },
);

function model(): StaticModel {
  const m = new StaticModel();
  m.setGroup('sg-a', [
    { protocol: 6, fromPort: 22, toPort: 80, peer: { kind: 'cidr4', cidr: '198.51.100.0/24' } },
    { protocol: 17, fromPort: 53, toPort: 53, peer: { kind: 'group', groupId: 'sg-a', userId: '1' } },
    { protocol: 6, fromPort: 443, toPort: 443, peer: { kind: 'cidr6', cidr: '::/0' } },
    { protocol: 1, fromPort: -1, toPort: -1, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } },
    { egress: true, protocol: 6, fromPort: 40000, toPort: 40001, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } },
    { egress: true, protocol: -1, peer: { kind: 'cidr6', cidr: '2001:db8::/32' } },
  ]);
  m.setInterface('eni-1', ['sg-a'], ['10.0.0.1'], ['2001:db8::1']);
  m.setInterface('eni-2', ['sg-a'], ['10.0.0.2'], ['2001:db8::2']);
  return m;
}

describe('staged batches judge as judgeNow does', () => {
  it('same reasons, interfaces, views, counters and flows, for any grouping', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: JUDGE_BATCH }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.constantFrom<number>(0, 1, 31_000, 601_000), { minLength: 1, maxLength: 20 }),
        (nested, groupSizes, advances) => {
          const frames = nested.flat();
          const m = model();
          const single = new Dataplane(m, { conntrackCapacity: 256 });
          const batched = new Dataplane(m, { conntrackCapacity: 256 });
          let t = 1_000_000;
          const times = frames.map((_, i) => (t += advances[i % advances.length]!));
          const seen = (dp: Dataplane, reason: number) => ({
            reason: REASON_NAMES[reason],
            src: dp.lastSourceInterface,
            dst: dp.lastDestinationInterface,
            ports: [dp.view.srcPort, dp.view.dstPort, dp.view.protocol, dp.view.status],
          });
          const expected = frames.map((f, i) => {
            single.clock[0] = times[i]!;
            return seen(single, single.judgeNow(LinkType.ETHERNET, f, 0, f.length, f.length));
          });
          const got: ReturnType<typeof seen>[] = [];
          for (let i = 0, g = 0; i < frames.length; g++) {
            const n = Math.min(groupSizes[g % groupSizes.length]!, frames.length - i);
            for (let j = 0; j < n; j++) batched.stage(j, LinkType.ETHERNET, frames[i + j]!, 0, frames[i + j]!.length, frames[i + j]!.length);
            batched.prefetchStaged(n);
            for (let j = 0; j < n; j++) {
              batched.clock[0] = times[i + j]!;
              got.push(seen(batched, batched.judgeStaged(j)));
            }
            i += n;
          }
          expect(got).toEqual(expected);
          expect([...batched.reasonCounts]).toEqual([...single.reasonCounts]);
          // The same live flows (the tables' seeds differ, so which expired entries a probe
          // happened to reclaim, and so `size`, may differ).
          const flows = (dp: Dataplane, i: number) =>
            dp.conntrack
              .entriesOf(i, t)
              .map((e) => JSON.stringify(e))
              .sort();
          for (const i of [0, 1]) expect(flows(batched, i)).toEqual(flows(single, i));
          expect(batched.interfaceCounters(0)).toEqual(single.interfaceCounters(0));
          expect(batched.interfaceCounters(1)).toEqual(single.interfaceCounters(1));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('staging reads the home slot the lookup probes, for both interfaces of a frame', () => {
    const ct = new ConntrackTable({ capacity: 1 << 12, seed: 99 });
    const v = new PacketView();
    const specs: FrameSpec[] = [
      { src: '10.0.0.1', dst: '198.51.100.7', proto: 'tcp', sport: 40000, dport: 443, flags: 'S' },
      { src: '198.51.100.7', dst: '10.0.0.1', proto: 'tcp', sport: 443, dport: 40000, flags: 'SA' },
      { src: '2001:db8::1', dst: '2001:db8::2', proto: 'udp', sport: 53, dport: 5353 },
      { src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmp: { type: 8, id: 7, code: 0 } },
      { src: '10.0.0.2', dst: '10.0.0.1', proto: 'icmp', icmp: { type: 0, id: 7, code: 0 } },
      { src: '10.0.0.1', dst: '10.0.0.2', proto: 47, payload: 'x' },
    ];
    for (const spec of specs) {
      const f = buildFrame(spec);
      decodeFrame(LinkType.ETHERNET, f, 0, f.length, v, f.length);
      const home = ct.homeOf(v);
      expect(home).toBeGreaterThanOrEqual(0);
      expect(ct.placeOf(0, v)!.home).toBe(home);
      expect(ct.placeOf(3, v)!.home).toBe(home);
    }
    // ICMP errors and non-query messages have no key of their own: nothing to read.
    const unreachable = buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'icmp', icmp: { type: 3, id: 0, code: 1 } });
    decodeFrame(LinkType.ETHERNET, unreachable, 0, unreachable.length, v, unreachable.length);
    expect(ct.homeOf(v)).toBe(-1);
  });
});
