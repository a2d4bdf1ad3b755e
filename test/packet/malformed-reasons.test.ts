import { describe, expect, it } from 'vitest';
import { buildFragments, buildFrame } from '../../src/packet/frame-builder.js';
import { MALFORMED_REASONS } from '../../src/packet/malformed.js';
import { verdictOf } from './decode-helpers.js';

const v4 = { src: '10.0.0.1', dst: '10.0.0.2' } as const;
const v6 = { src: 'fd00::1', dst: 'fd00::2' } as const;
const IP = 14; // IP header offset in an untagged Ethernet frame

function edit(frame: Buffer, change: (f: Buffer) => void): Buffer {
  change(frame);
  return frame;
}

/** one crafted frame per reason; the table must cover the whole documented list */
const crafted: Record<string, Buffer> = {
  'truncated-link': buildFrame({ ...v4, proto: 'udp' }).subarray(0, 13),
  'bad-ip-version': edit(buildFrame({ ...v4, proto: 'udp' }), (f) => (f[IP] = 0x75)),
  'truncated-ipv4': buildFrame({ ...v4, proto: 'udp' }).subarray(0, IP + 19),
  'bad-ipv4-ihl': edit(buildFrame({ ...v4, proto: 'udp' }), (f) => (f[IP] = 0x44)),
  'bad-ipv4-length': edit(buildFrame({ ...v4, proto: 'udp' }), (f) => f.writeUInt16BE(19, IP + 2)),
  'ipv4-length-past-frame': edit(buildFrame({ ...v4, proto: 'udp' }), (f) => f.writeUInt16BE(29, IP + 2)),
  'truncated-ipv6': buildFrame({ ...v6, proto: 'udp' }).subarray(0, IP + 39),
  'ipv6-length-past-frame': edit(buildFrame({ ...v6, proto: 'udp' }), (f) => f.writeUInt16BE(9, IP + 4)),
  'bad-ipv6-ext': edit(buildFrame({ ...v6, proto: 'udp', ipv6Ext: ['routing'] }), (f) => (f[IP + 40 + 1] = 3)),
  'bad-fragment': edit(buildFragments({ ...v4, proto: 'udp', payload: 'z'.repeat(30) }, 16)[1], (f) => f.writeUInt16BE(0x1fff, IP + 6)),
  'short-tcp-header': edit(buildFrame({ ...v4, proto: 'tcp', flags: 'S' }), (f) => f.writeUInt16BE(39, IP + 2)),
  'bad-tcp-offset': edit(buildFrame({ ...v6, proto: 'tcp', flags: 'S' }), (f) => (f[IP + 40 + 12] = 0x10)),
  'truncated-udp': edit(buildFrame({ ...v4, proto: 'udp' }), (f) => f.writeUInt16BE(27, IP + 2)),
  'bad-udp-length': edit(buildFrame({ ...v6, proto: 'udp' }), (f) => f.writeUInt16BE(4, IP + 40 + 4)),
  'truncated-icmp': edit(buildFrame({ ...v4, proto: 'icmp' }), (f) => f.writeUInt16BE(27, IP + 2)),
  'truncated-icmpv6': edit(buildFrame({ ...v6, proto: 'icmpv6', icmp: { type: 128 } }), (f) => f.writeUInt16BE(6, IP + 4)),
};

describe('every documented malformed reason is reachable by a crafted frame', () => {
  it('the table covers the list exactly', () => {
    expect(Object.keys(crafted).sort()).toEqual([...MALFORMED_REASONS].sort());
  });
  for (const reason of MALFORMED_REASONS) {
    it(reason, () => {
      expect(verdictOf(crafted[reason])).toBe(reason);
    });
  }
  it('the reason names are unique', () => {
    expect(new Set(MALFORMED_REASONS).size).toBe(MALFORMED_REASONS.length);
  });
});

describe('a frame the capture cut short (snap length)', () => {
  it('is judged by its headers when only the payload is missing, and is malformed when a header is', async () => {
    const { buildFrame } = await import('../../src/packet/frame-builder.js');
    const { decodeFrame } = await import('../../src/packet/decode.js');
    const { PacketView, DecodeStatus } = await import('../../src/packet/packet-view.js');
    const v = new PacketView();
    const frame = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 5000, dport: 53, payload: 'x'.repeat(200) });
    const snap = 14 + 20 + 8 + 10;
    // without the wire length the missing bytes are the packet's fault
    expect(decodeFrame(1, frame, 0, snap, v)).toBe(DecodeStatus.MALFORMED);
    expect(decodeFrame(1, frame, 0, snap, v, frame.length)).toBe(DecodeStatus.OK);
    expect([v.srcPort, v.dstPort, v.ipLength]).toEqual([5000, 53, frame.length - 14]);
    const tcp = buildFrame({ src: '2001:db8::1', dst: '2001:db8::2', proto: 'tcp', sport: 1, dport: 22, flags: 'S', payload: 'y'.repeat(100) });
    expect(decodeFrame(1, tcp, 0, 14 + 40 + 20, v, tcp.length)).toBe(DecodeStatus.OK);
    expect(v.dstPort).toBe(22);
    expect(decodeFrame(1, tcp, 0, 14 + 40 + 10, v, tcp.length)).toBe(DecodeStatus.MALFORMED);
  });
});
