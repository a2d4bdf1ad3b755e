import { describe, expect, it } from 'vitest';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { DecodeStatus, TcpFlag } from '../../src/packet/packet-view.js';
import { decode, ipv4Word, verdictOf } from './decode-helpers.js';

const a = '10.1.0.5';
const b = '10.2.0.9';

describe('TCP ports and flags', () => {
  it.each([
    ['S', TcpFlag.SYN],
    ['SA', TcpFlag.SYN | TcpFlag.ACK],
    ['FA', TcpFlag.FIN | TcpFlag.ACK],
    ['R', TcpFlag.RST],
    ['PAU', TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG],
  ])('flags %s', (flags, bits) => {
    const v = decode(buildFrame({ src: a, dst: b, proto: 'tcp', sport: 1234, dport: 80, flags, payload: 'GET /' }));
    expect([v.status, v.srcPort, v.dstPort, v.tcpFlags]).toEqual([DecodeStatus.OK, 1234, 80, bits]);
  });
  it('a data offset below 5 words or past the packet is malformed', () => {
    const f = buildFrame({ src: a, dst: b, proto: 'tcp', sport: 1, dport: 2, flags: 'S' });
    f[14 + 20 + 12] = 4 << 4;
    expect(verdictOf(f)).toBe('bad-tcp-offset');
    f[14 + 20 + 12] = 15 << 4;
    expect(verdictOf(f)).toBe('bad-tcp-offset');
  });
});

describe('UDP ports', () => {
  it('ports of a datagram', () => {
    const v = decode(buildFrame({ src: a, dst: b, proto: 'udp', sport: 68, dport: 67, payload: 'dhcp' }));
    expect([v.status, v.protocol, v.srcPort, v.dstPort]).toEqual([DecodeStatus.OK, 17, 68, 67]);
  });
  it('a UDP length below 8 or past the IP packet is malformed', () => {
    const f = buildFrame({ src: a, dst: b, proto: 'udp', sport: 1, dport: 2 });
    f.writeUInt16BE(7, 14 + 20 + 4);
    expect(verdictOf(f)).toBe('bad-udp-length');
    f.writeUInt16BE(9, 14 + 20 + 4);
    expect(verdictOf(f)).toBe('bad-udp-length');
  });
});

describe('ICMP type, code and echo identifier', () => {
  it('an echo request', () => {
    const v = decode(buildFrame({ src: a, dst: b, proto: 'icmp', icmp: { type: 8, id: 0x4242, seq: 1 } }));
    expect([v.status, v.icmpType, v.icmpCode, v.icmpId, v.quoted.valid]).toEqual([DecodeStatus.OK, 8, 0, 0x4242, false]);
  });
  it('an ICMPv6 echo reply', () => {
    const v = decode(buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'icmpv6', icmp: { type: 129, id: 77 } }));
    expect([v.protocol, v.icmpType, v.icmpId]).toEqual([58, 129, 77]);
  });
  it('an ICMPv6 neighbour solicitation needs no identifier', () => {
    const v = decode(buildFrame({ src: 'fe80::1', dst: 'ff02::1:ff00:2', proto: 'icmpv6', icmp: { type: 135 } }));
    expect([v.status, v.icmpType, v.icmpId]).toEqual([DecodeStatus.OK, 135, 0]);
  });
});

describe('ICMP errors carry the header of the packet that caused them', () => {
  const original = { src: b, dst: a, proto: 'udp', sport: 5000, dport: 33434 } as const;
  it.each([3, 4, 5, 11, 12])('ICMP type %i quoting a UDP datagram', (type) => {
    const v = decode(buildFrame({ src: a, dst: b, proto: 'icmp', icmp: { type, code: 1, quote: original } }));
    const q = v.quoted;
    expect([v.status, v.icmpType, v.icmpCode]).toEqual([DecodeStatus.OK, type, 1]);
    expect([q.valid, q.ipVersion, q.src[0], q.dst[0], q.protocol, q.srcPort, q.dstPort]).toEqual([
      true,
      4,
      ipv4Word(b),
      ipv4Word(a),
      17,
      5000,
      33434,
    ]);
  });
  it('time exceeded quoting an echo request carries its identifier', () => {
    const v = decode(buildFrame({ src: a, dst: b, proto: 'icmp', icmp: { type: 11, quote: { src: b, dst: a, proto: 'icmp', icmp: { type: 8, id: 999 } } } }));
    expect([v.quoted.valid, v.quoted.protocol, v.quoted.icmpType, v.quoted.icmpId]).toEqual([true, 1, 8, 999]);
  });
  it('a quote cut before the end of its IP header relates to nothing but is not malformed', () => {
    const f = buildFrame({ src: a, dst: b, proto: 'icmp', icmp: { type: 3, quote: Buffer.from(buildFrame({ ...original, link: 'raw' }).subarray(0, 12)) } });
    const v = decode(f);
    expect([v.status, v.icmpType, v.quoted.valid]).toEqual([DecodeStatus.OK, 3, false]);
  });
  it.each([1, 2, 3, 4])('ICMPv6 type %i quoting a TCP segment behind extension headers', (type) => {
    const quote = { src: 'fd00::2', dst: 'fd00::1', proto: 'tcp', sport: 443, dport: 50000, flags: 'A', ipv6Ext: ['dest'] } as const;
    const v = decode(buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'icmpv6', icmp: { type, quote } }));
    const q = v.quoted;
    expect([v.icmpType, q.valid, q.ipVersion, q.protocol, q.srcPort, q.dstPort]).toEqual([type, true, 6, 6, 443, 50000]);
    expect(Array.from(q.src)).toEqual([0xfd000000, 0, 0, 2]);
  });
  it('ICMPv6 error quoting an echo request', () => {
    const quote = { src: 'fd00::2', dst: 'fd00::1', proto: 'icmpv6', icmp: { type: 128, id: 31 } } as const;
    const q = decode(buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'icmpv6', icmp: { type: 3, quote } })).quoted;
    expect([q.valid, q.protocol, q.icmpType, q.icmpId]).toEqual([true, 58, 128, 31]);
  });
  it('the quote of one frame does not leak into the next', () => {
    decode(buildFrame({ src: a, dst: b, proto: 'icmp', icmp: { type: 3, quote: original } }));
    expect(decode(buildFrame({ src: a, dst: b, proto: 'icmp', icmp: { type: 8 } })).quoted.valid).toBe(false);
  });
});

describe('other IP protocols', () => {
  it('GRE decodes to its protocol number with no ports', () => {
    const v = decode(buildFrame({ src: a, dst: b, proto: 47, payload: Buffer.from([0, 0, 0x08, 0x00]) }));
    expect([v.status, v.protocol, v.srcPort, v.dstPort]).toEqual([DecodeStatus.OK, 47, 0, 0]);
  });
});
