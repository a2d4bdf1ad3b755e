import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/packet/decode.js';
import { buildFragments, buildFrame } from '../../src/packet/frame-builder.js';
import { MALFORMED_REASONS } from '../../src/packet/malformed.js';
import { DecodeStatus, PacketView } from '../../src/packet/packet-view.js';
import { collectionsDuring, fewestCollectionsOver } from '../support/gc-count.js';

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105, 9];
const STATUSES: number[] = Object.values(DecodeStatus);

describe('the decoder never throws, whatever the bytes', () => {
  const v = new PacketView();
  it('random bytes under every link type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 200 }), (lt, bytes) => {
        const status = decodeFrame(lt, bytes, 0, bytes.length, v);
        expect(STATUSES).toContain(status);
        expect(v.status).toBe(status);
        if (status === DecodeStatus.MALFORMED) expect(v.malformedReason).toBeLessThan(MALFORMED_REASONS.length);
      }),
      { numRuns: 20000 },
    );
  });
  it('valid frames with random bytes overwritten and random cut points', () => {
    const seeds = [
      buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1, dport: 2, flags: 'S', vlan: [3, 4] }),
      buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'udp', sport: 1, dport: 2, ipv6Ext: ['hop', 'routing', 'ah'] }),
      buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmp: { type: 3, quote: { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 9, dport: 53 } } }),
      buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'icmpv6', icmp: { type: 1, quote: { src: 'fd00::2', dst: 'fd00::1', proto: 'tcp', flags: 'S', ipv6Ext: ['dest'] } } }),
      ...buildFragments({ src: 'fd00::1', dst: 'fd00::2', proto: 'udp', payload: 'q'.repeat(40) }, 16),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        fc.integer({ min: -3, max: 300 }),
        (seed, edits, start, length) => {
          const f = Buffer.from(seed);
          for (const [at, byte] of edits) f[at % f.length] = byte;
          const status = decodeFrame(1, f, start % (f.length + 2), length, v);
          expect(STATUSES).toContain(status);
        },
      ),
      { numRuns: 20000 },
    );
  });
});

describe('decoding allocates nothing per frame', () => {
  // A synchronous loop is the only code running in this isolate, so a young-generation collection
  // during it means the loop allocated. A control loop that allocates one small object per frame
  // shows the check can see it.
  const frames = [
    buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1, dport: 2, flags: 'S', vlan: [9, 10] }),
    buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'udp', sport: 1, dport: 2, ipv6Ext: ['hop', 'ah'] }),
    buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmp: { type: 11, quote: { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', flags: 'S' } } }),
    buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'icmpv6', icmp: { type: 1, quote: { src: 'fd00::2', dst: 'fd00::1', proto: 'udp', ipv6Ext: ['dest'] } } }),
    ...buildFragments({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', payload: 'f'.repeat(40) }, 16),
  ];
  const v = new PacketView();
  let sink: unknown = null;
  const decodeAll = (n: number, allocate: boolean): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const f = frames[i % frames.length];
      sum += decodeFrame(1, f, 0, f.length, v) + v.dstPort + v.quoted.dstPort;
      if (allocate) sink = { i, port: v.dstPort };
    }
    return sum;
  };

  it('1,000,000 frames decode without a single garbage collection', async () => {
    decodeAll(50_000, false); // let the JIT settle first
    const control = await collectionsDuring(() => decodeAll(1_000_000, true));
    expect(sink).not.toBeNull();
    expect(control.count).toBeGreaterThan(0);
    const decoding = await fewestCollectionsOver(3, () => decodeAll(1_000_000, false));
    expect(decoding.result).toBeGreaterThan(0);
    expect(decoding.count).toBe(0);
  });
});
