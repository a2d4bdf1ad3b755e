import { describe, expect, it } from 'vitest';
import { buildFragments, buildFrame, internetChecksum } from '../../src/packet/frame-builder.js';

function pseudo(frame: Buffer, ipAt: number, proto: number): Buffer {
  const v6 = frame[ipAt] >> 4 === 6;
  const src = v6 ? frame.subarray(ipAt + 8, ipAt + 40) : frame.subarray(ipAt + 12, ipAt + 20);
  const upperAt = ipAt + (v6 ? 40 : (frame[ipAt] & 15) * 4);
  const len = frame.length - upperAt;
  const tail = Buffer.alloc(v6 ? 8 : 4);
  if (v6) {
    tail.writeUInt32BE(len, 0);
    tail[7] = proto;
  } else {
    tail[1] = proto;
    tail.writeUInt16BE(len, 2);
  }
  return Buffer.concat([src, tail, frame.subarray(upperAt)]);
}

describe('built frames carry valid checksums', () => {
  it('IPv4 header and TCP segment', () => {
    const f = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1, dport: 2, flags: 'S', payload: 'odd' });
    expect(internetChecksum(f.subarray(14, 34))).toBe(0);
    expect(internetChecksum(pseudo(f, 14, 6))).toBe(0);
  });
  it('UDP over IPv6 and ICMPv6', () => {
    const u = buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'udp', sport: 1, dport: 2, payload: 'abc' });
    expect(internetChecksum(pseudo(u, 14, 17))).toBe(0);
    const i = buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'icmpv6', icmp: { type: 128, id: 5 } });
    expect(internetChecksum(pseudo(i, 14, 58))).toBe(0);
  });
  it('ICMP', () => {
    const f = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmp: { type: 8, id: 3, seq: 4 }, payload: 'ping' });
    expect(internetChecksum(f.subarray(34))).toBe(0);
  });
  it('each IPv4 fragment header', () => {
    for (const f of buildFragments({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', payload: 'p'.repeat(50) }, 24)) {
      expect(internetChecksum(f.subarray(14, 34))).toBe(0);
    }
  });
});
