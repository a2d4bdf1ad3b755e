// Reading the virtio_net_hdr the kernel puts in front of each frame of a PACKET_VNET_HDR socket:
// which frames are offloaded super-frames, and how many wire segments each stands for.
import { describe, expect, it } from 'vitest';
import { ringVnetHeaders } from '../../src/capture/afpacket.js';
import { isOffloaded, VNET_NEEDS_CSUM, VnetGso, vnetHeaderAt, vnetSegments } from '../../src/capture/vnet-header.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { vnetHeaderBytes, type VnetHeaderSpec } from '../support/vnet-header.js';

/** The header at 0, the frame right after it, as in the ring. */
function laidOut(spec: VnetHeaderSpec, frame: Buffer): { b: Buffer; at: number; offset: number } {
  return { b: Buffer.concat([vnetHeaderBytes(spec), frame]), at: 0, offset: 10 };
}

const payload = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);
// 14 (Ethernet) + 20 (IPv4) + 20 (TCP) = 54 bytes of headers; IPv6: 14 + 40 + 20 = 74.
const tcp4 = (n: number): Buffer => buildFrame({ src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22, flags: 'A', payload: payload(n) });
const tcp6 = (n: number): Buffer => buildFrame({ src: '2001:db8::5', dst: '2001:db8::10', proto: 'tcp', sport: 40000, dport: 22, flags: 'A', payload: payload(n) });
const udp4 = (n: number): Buffer => buildFrame({ src: '203.0.113.5', dst: '10.0.0.10', proto: 'udp', sport: 40000, dport: 53, payload: payload(n) });

describe('a frame\'s vnet header says whether it is an offloaded super-frame', () => {
  it('the header sits right before the frame', () => {
    expect(vnetHeaderAt(110)).toBe(100);
  });

  it('any GSO type is offloaded, none is not, and the ECN bit alone is not', () => {
    const frame = tcp4(100);
    expect(isOffloaded(laidOut({ gsoType: VnetGso.TCPV4, gsoSize: 1448 }, frame).b, 0)).toBe(true);
    expect(isOffloaded(laidOut({ gsoType: VnetGso.TCPV6 | VnetGso.ECN, gsoSize: 1428 }, frame).b, 0)).toBe(true);
    expect(isOffloaded(laidOut({ gsoType: VnetGso.UDP_L4, gsoSize: 1400 }, frame).b, 0)).toBe(true);
    expect(isOffloaded(laidOut({ flags: VNET_NEEDS_CSUM, csumStart: 34, csumOffset: 16 }, frame).b, 0)).toBe(false);
    expect(isOffloaded(laidOut({ gsoType: VnetGso.ECN }, frame).b, 0)).toBe(false);
  });
});

describe('the wire segments an offloaded frame stands for', () => {
  it('a TCP/IPv4 super-frame: its payload over gso_size, rounded up, headers from csum_start and the data offset', () => {
    const frame = tcp4(65_000);
    const { b, at, offset } = laidOut({ flags: VNET_NEEDS_CSUM, gsoType: VnetGso.TCPV4, gsoSize: 1448, csumStart: 34, csumOffset: 16 }, frame);
    expect(vnetSegments(b, at, offset, frame.length)).toBe(Math.ceil(65_000 / 1448)); // 45
    // exactly 10 full segments
    const even = tcp4(14_480);
    const e = laidOut({ flags: VNET_NEEDS_CSUM, gsoType: VnetGso.TCPV4, gsoSize: 1448, csumStart: 34, csumOffset: 16 }, even);
    expect(vnetSegments(e.b, e.at, e.offset, even.length)).toBe(10);
  });

  it('TCP options count as headers: a longer TCP header leaves fewer payload bytes', () => {
    const spec = { flags: VNET_NEEDS_CSUM, gsoType: VnetGso.TCPV4, gsoSize: 1448, csumStart: 34, csumOffset: 16 };
    const frame = tcp4(2897); // a 20-byte TCP header: 2897 bytes of payload, one more than 2 segments
    const { b, at, offset } = laidOut(spec, frame);
    expect(vnetSegments(b, at, offset, frame.length)).toBe(3);
    b[offset + 34 + 12] = 8 << 4; // data offset 8 words: a 32-byte header, 2885 bytes of payload
    expect(vnetSegments(b, at, offset, frame.length)).toBe(2);
  });

  it('TCP/IPv6 and UDP (USO) super-frames', () => {
    const t6 = tcp6(30_000);
    const a = laidOut({ flags: VNET_NEEDS_CSUM, gsoType: VnetGso.TCPV6, gsoSize: 1428, csumStart: 54, csumOffset: 16 }, t6);
    expect(vnetSegments(a.b, a.at, a.offset, t6.length)).toBe(Math.ceil(30_000 / 1428));
    const u = udp4(14_000);
    const c = laidOut({ flags: VNET_NEEDS_CSUM, gsoType: VnetGso.UDP_L4, gsoSize: 1400, csumStart: 34, csumOffset: 6 }, u);
    expect(vnetSegments(c.b, c.at, c.offset, u.length)).toBe(10);
  });

  it('without NEEDS_CSUM the headers end at hdr_len', () => {
    const frame = tcp4(10_000);
    const { b, at, offset } = laidOut({ gsoType: VnetGso.TCPV4, gsoSize: 1000, hdrLen: 54 }, frame);
    expect(vnetSegments(b, at, offset, frame.length)).toBe(10);
  });

  it('a frame without segmentation offload, or a header that makes no sense, stands for one', () => {
    const frame = tcp4(1000);
    expect(vnetSegments(laidOut({}, frame).b, 0, 10, frame.length)).toBe(1);
    expect(vnetSegments(laidOut({ flags: VNET_NEEDS_CSUM, csumStart: 34, csumOffset: 16 }, frame).b, 0, 10, frame.length)).toBe(1);
    expect(vnetSegments(laidOut({ gsoType: VnetGso.TCPV4, gsoSize: 0 }, frame).b, 0, 10, frame.length)).toBe(1);
    // csum_start past the frame: no payload left
    expect(vnetSegments(laidOut({ flags: VNET_NEEDS_CSUM, gsoType: VnetGso.TCPV4, gsoSize: 100, csumStart: 60_000 }, frame).b, 0, 10, frame.length)).toBe(1);
  });
});

describe('the kernels whose TPACKET_V3 ring carries vnet headers whole', () => {
  it('5.6 and later, by `uname -r`', () => {
    expect(ringVnetHeaders('6.18.44-fc-v1300')).toBe(true);
    expect(ringVnetHeaders('5.6.0')).toBe(true);
    expect(ringVnetHeaders('5.15.0-91-generic')).toBe(true);
    expect(ringVnetHeaders('5.4.0-150-generic')).toBe(false);
    expect(ringVnetHeaders('4.18.0-553.el8_10.x86_64')).toBe(false);
    expect(ringVnetHeaders('garbage')).toBe(false);
  });
});
