// The shard a frame is judged on under `replay --workers N`: both directions of a flow, its
// fragments and the ICMP errors about it on one shard; the byte-peek agrees with the decoder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flowShard, peekShard } from '../../src/dataplane/flow-shard.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { buildFragments, buildFrame, linkTypeOf, type FrameSpec } from '../../src/packet/frame-builder.js';
import { PacketView } from '../../src/packet/packet-view.js';

const view = new PacketView();

function decodedShard(frame: Uint8Array, shards: number, link = 1): number {
  decodeFrame(link, frame, 0, frame.length, view, frame.length);
  return flowShard(view, shards);
}

/** the shard a worker gives a frame: the peek, or the decoder when the peek can't tell */
function shardOf(frame: Uint8Array, shards: number, link = 1): number {
  const peeked = peekShard(link, frame, 0, frame.length, shards);
  return peeked >= 0 ? peeked : decodedShard(frame, shards, link);
}

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((w) => w.map((x) => x.toString(16)).join(':'));
const flow = fc.record({
  six: fc.boolean(),
  a4: v4,
  b4: v4,
  a6: v6,
  b6: v6,
  proto: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
  sport: fc.integer({ min: 1, max: 65535 }),
  dport: fc.integer({ min: 1, max: 65535 }),
  shards: fc.integer({ min: 2, max: 64 }),
});

type Flow = typeof flow extends fc.Arbitrary<infer T> ? T : never;

function spec(f: Flow, reversed = false): FrameSpec {
  const [src, dst] = f.six ? [f.a6, f.b6] : [f.a4, f.b4];
  return reversed
    ? { src: dst, dst: src, proto: f.proto, sport: f.dport, dport: f.sport, flags: 'SA', payload: 'x'.repeat(20) }
    : { src, dst, proto: f.proto, sport: f.sport, dport: f.dport, flags: 'S', payload: 'x'.repeat(20) };
}

describe('frames are sharded by flow', () => {
  it('both directions of a flow land on one shard, whatever the ports', () => {
    fc.assert(
      fc.property(flow, (f) => {
        const there = shardOf(buildFrame(spec(f)), f.shards);
        expect(there).toBeGreaterThanOrEqual(0);
        expect(there).toBeLessThan(f.shards);
        expect(shardOf(buildFrame(spec(f, true)), f.shards)).toBe(there);
        expect(shardOf(buildFrame({ ...spec(f), sport: (f.sport % 65535) + 1 }), f.shards)).toBe(there);
      }),
    );
  });

  it('the byte peek gives the shard the decoder gives, and leaves ICMP to the decoder', () => {
    fc.assert(
      fc.property(flow, (f) => {
        const frame = buildFrame(spec(f));
        expect(peekShard(1, frame, 0, frame.length, f.shards)).toBe(decodedShard(frame, f.shards));
        const tagged = buildFrame({ ...spec(f), vlan: 7 });
        expect(peekShard(1, tagged, 0, tagged.length, f.shards)).toBe(-1);
        expect(decodedShard(tagged, f.shards)).toBe(decodedShard(frame, f.shards));
      }),
    );
  });

  it('the byte peek reads ICMP queries, and leaves errors and fragments to the decoder', () => {
    fc.assert(
      fc.property(flow, fc.constantFrom(0, 8, 13, 14), (f, type) => {
        const query = buildFrame({ src: f.a4, dst: f.b4, proto: 'icmp', icmp: { type, id: 1, seq: 1 } });
        expect(peekShard(1, query, 0, query.length, f.shards)).toBe(decodedShard(query, f.shards));
        const reply = buildFrame({ src: f.b4, dst: f.a4, proto: 'icmp', icmp: { type, id: 1, seq: 1 } });
        expect(peekShard(1, reply, 0, reply.length, f.shards)).toBe(decodedShard(query, f.shards));
      }),
    );
    const sent: FrameSpec = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 5353, dport: 53 };
    for (const type of [3, 4, 5, 11, 12]) {
      const error = buildFrame({ src: '10.0.0.9', dst: '10.0.0.1', proto: 'icmp', icmp: { type, code: 0, quote: sent } });
      expect(peekShard(1, error, 0, error.length, 4)).toBe(-1);
    }
    const fragments = buildFragments({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmp: { type: 8, id: 1, seq: 1 }, id: 9, payload: 'z'.repeat(3000) }, 1000);
    expect(fragments.length).toBeGreaterThan(2);
    for (const fragment of fragments) expect(peekShard(1, fragment, 0, fragment.length, 4)).toBe(-1);
  });

  it('an ICMP error lands where the flow it quotes does, whoever sent it', () => {
    fc.assert(
      fc.property(flow, v4, (f, router) => {
        const sent = { ...spec(f), src: f.a4, dst: f.b4 };
        const error = buildFrame({ src: router, dst: f.a4, proto: 'icmp', icmp: { type: 3, code: 4, quote: sent } });
        expect(shardOf(error, f.shards)).toBe(shardOf(buildFrame(sent), f.shards));
      }),
    );
    const sent6: FrameSpec = { src: '2001:db8::1', dst: '2001:db8::2', proto: 'udp', sport: 5353, dport: 53 };
    const error6 = buildFrame({ src: '2001:db8::99', dst: '2001:db8::1', proto: 'icmpv6', icmp: { type: 1, code: 4, quote: sent6 } });
    for (const shards of [2, 3, 8]) expect(shardOf(error6, shards)).toBe(shardOf(buildFrame(sent6), shards));
  });

  it("a datagram's fragments stay together, the first (with ports) and the rest", () => {
    for (const s of [
      { src: '10.1.2.3', dst: '10.9.8.7', proto: 'udp' as const, sport: 4000, dport: 53, id: 77, payload: 'y'.repeat(3000) },
      { src: '2001:db8::5', dst: '2001:db8::6', proto: 'udp' as const, sport: 4000, dport: 53, id: 78, payload: 'y'.repeat(3000) },
    ]) {
      const fragments = buildFragments(s, 1000);
      expect(fragments.length).toBeGreaterThan(2);
      for (const shards of [2, 3, 5, 16]) {
        const first = shardOf(fragments[0]!, shards);
        for (const f of fragments) expect(shardOf(f, shards)).toBe(first);
      }
    }
  });

  it('frames that are not IP go to the first shard; one shard is always shard 0', () => {
    const arp = new Uint8Array(60);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(shardOf(arp, 4)).toBe(0);
    const raw = buildFrame({ link: 'raw', src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1, dport: 2 });
    expect(decodedShard(raw, 1, linkTypeOf('raw'))).toBe(0);
  });

  it('spreads flows evenly', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) {
      const frame = buildFrame({ src: `10.0.${i >> 8}.${i & 255}`, dst: '192.0.2.10', proto: 'tcp', sport: 40000, dport: 443 });
      counts[shardOf(frame, 4)]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });
});
