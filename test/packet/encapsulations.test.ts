// What Ethernet wraps around IP beyond VLAN tags, as the decoder (and so the AF_PACKET bridge) sees
// it: PPPoE session frames carrying IPv4/IPv6 are judged as any IP packet (the PPP stack behind the
// wire would deliver them), PPPoE discovery and PPP's control protocols are not IP (passed, as ARP),
// and encapsulations that may carry IP the decoder does not unwrap (MPLS, MAC-in-MAC, NSH, MACsec, LLC/SNAP
// IP, PPP's compressed, encrypted or multilink datagrams) are unsupported: dropped, never passed.
import { describe, expect, it } from 'vitest';
import { buildEthernetFrame, buildFrame, buildIpPacket } from '../../src/packet/frame-builder.js';
import { DecodeStatus } from '../../src/packet/packet-view.js';
import { decode, ipv4Word, verdictOf } from './decode-helpers.js';

const syn = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' } as const;
const syn6 = { ...syn, src: '2001:db8::1', dst: '2001:db8::2' } as const;

/** A PPPoE session frame (session 0x1234) carrying `body` under PPP protocol `protocol` (a one-byte field when `compressed`). */
function pppoe(protocol: number, body: Uint8Array, o: { compressed?: boolean; vlan?: number; code?: number } = {}): Buffer {
  const field = o.compressed ? Buffer.from([protocol]) : Buffer.from([protocol >> 8, protocol & 0xff]);
  const header = Buffer.from([0x11, o.code ?? 0, 0x12, 0x34, 0, 0]);
  header.writeUInt16BE(field.length + body.length, 4);
  return buildEthernetFrame(0x8864, Buffer.concat([header, field, body]), o.vlan);
}

describe('PPPoE', () => {
  it('judges the IPv4 and IPv6 a session frame carries as the same packet untagged', () => {
    const v = decode(pppoe(0x0021, buildIpPacket(syn)));
    expect(v.status).toBe(DecodeStatus.OK);
    expect([v.ipVersion, v.src[0], v.dst[0], v.protocol, v.srcPort, v.dstPort]).toEqual([4, ipv4Word('10.0.0.1'), ipv4Word('10.0.0.2'), 6, 40000, 22]);
    expect(v.ipOffset).toBe(14 + 6 + 2);
    const v6 = decode(pppoe(0x0057, buildIpPacket(syn6)));
    expect([v6.status, v6.ipVersion, v6.dstPort]).toEqual([DecodeStatus.OK, 6, 22]);
    expect(Array.from(v6.src)).toEqual([0x20010db8, 0, 0, 1]);
  });

  it('reads a compressed (one-byte) protocol field, a VLAN tag outside, and any code (the PPP stack delivers by the protocol alone)', () => {
    expect(decode(pppoe(0x21, buildIpPacket(syn), { compressed: true })).ipOffset).toBe(14 + 6 + 1);
    expect(verdictOf(pppoe(0x57, buildIpPacket(syn6), { compressed: true }))).toBe('ok');
    const tagged = decode(pppoe(0x0021, buildIpPacket(syn), { vlan: 7 }));
    expect([tagged.status, tagged.vlanCount, tagged.vlanId, tagged.dstPort]).toEqual([DecodeStatus.OK, 1, 7, 22]);
    expect(verdictOf(pppoe(0x0021, buildIpPacket(syn), { code: 0x07 }))).toBe('ok');
  });

  it('drops broken IP inside as malformed, and a PPPoE header cut short', () => {
    const bad = pppoe(0x0021, buildIpPacket(syn));
    bad[14 + 8] = 0x44; // IHL 4
    expect(verdictOf(bad)).toBe('bad-ipv4-ihl');
    expect(verdictOf(pppoe(0x0057, buildIpPacket(syn)))).toBe('bad-ip-version');
    expect(verdictOf(buildEthernetFrame(0x8864, Buffer.from([0x11, 0, 0x12, 0x34])))).toBe('truncated-link');
    expect(verdictOf(buildEthernetFrame(0x8864, Buffer.from([0x11, 0, 0x12, 0x34, 0, 0])))).toBe('truncated-link');
    expect(verdictOf(buildEthernetFrame(0x8864, Buffer.from([0x11, 0, 0x12, 0x34, 0, 1, 0x00])))).toBe('truncated-link');
  });

  it('passes discovery and PPP control (LCP, IPCP, IPV6CP, PAP, CHAP) as not IP', () => {
    expect(verdictOf(buildEthernetFrame(0x8863, Buffer.from([0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0])))).toBe('not-ip');
    for (const control of [0xc021, 0x8021, 0x8057, 0xc023, 0xc223]) {
      expect(verdictOf(pppoe(control, Buffer.from([1, 1, 0, 4]))), control.toString(16)).toBe('not-ip');
    }
  });

  it('drops what carries IP no verdict can read: VJ-compressed TCP, multilink, compressed, encrypted, MPLS', () => {
    for (const opaque of [0x002d, 0x002f, 0x003d, 0x0053, 0x0055, 0x00fb, 0x00fd, 0x0281, 0x0283]) {
      expect(verdictOf(pppoe(opaque, buildIpPacket(syn))), opaque.toString(16)).toBe('unsupported-link');
    }
    expect(verdictOf(pppoe(0x2d, buildIpPacket(syn), { compressed: true }))).toBe('unsupported-link');
  });
});

describe('other EtherTypes that may carry IP', () => {
  it('MPLS (unicast, multicast), MAC-in-MAC, NSH and MACsec are unsupported, tagged or not', () => {
    // an MPLS label (bottom of stack) over the IPv4 packet: no field says IP follows
    const label = Buffer.from([0x00, 0x01, 0x01, 0x40]);
    for (const type of [0x8847, 0x8848, 0x88e7, 0x894f, 0x88e5]) {
      expect(verdictOf(buildEthernetFrame(type, Buffer.concat([label, buildIpPacket(syn)]))), type.toString(16)).toBe('unsupported-link');
      expect(verdictOf(buildEthernetFrame(type, Buffer.concat([label, buildIpPacket(syn)]), 7)), `${type.toString(16)} tagged`).toBe('unsupported-link');
    }
  });

  it('802.3 with LLC/SNAP naming IP is unsupported; other LLC (STP) is not IP', () => {
    const ip = buildIpPacket(syn);
    const snap = (type: number): Buffer => Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, type >> 8, type & 0xff]), ip]);
    const length = (body: Buffer): Buffer => buildEthernetFrame(body.length, body);
    expect(verdictOf(length(snap(0x0800)))).toBe('unsupported-link');
    expect(verdictOf(length(snap(0x86dd)))).toBe('unsupported-link');
    expect(verdictOf(length(snap(0x0806)))).toBe('not-ip');
    // in a VLAN tag too (the kernel bridge's guard table drops the same)
    expect(verdictOf(buildEthernetFrame(snap(0x0800).length, snap(0x0800), 7))).toBe('unsupported-link');
    expect(verdictOf(length(Buffer.from([0x42, 0x42, 0x03, 0, 0, 0, 0, 0, 0, 0])))).toBe('not-ip');
    // a cut SNAP header is not one
    expect(verdictOf(length(Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08])))).toBe('not-ip');
  });

  it('leaves IP, VLAN-tagged IP and ARP as they were', () => {
    expect(verdictOf(buildFrame(syn))).toBe('ok');
    expect(verdictOf(buildFrame({ ...syn6, vlan: [7, 8] }))).toBe('ok');
    expect(verdictOf(buildEthernetFrame(0x0806, Buffer.alloc(28)))).toBe('not-ip');
  });
});
