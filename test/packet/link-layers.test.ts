import { describe, expect, it } from 'vitest';
import { buildEthernetFrame, buildFrame, linkTypeOf, type LinkName } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { MALFORMED_REASONS } from '../../src/packet/malformed.js';
import { DecodeStatus } from '../../src/packet/packet-view.js';
import { decode, ipv4Word, verdictOf, view } from './decode-helpers.js';

const syn = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' } as const;
const syn6 = { ...syn, src: '2001:db8::1', dst: '2001:db8::2' } as const;

describe('frames of every supported link type decode to the same IP packet', () => {
  const links: LinkName[] = ['ethernet', 'raw', 'ipv4', 'sll', 'sll2', 'null', 'null-be', 'loop'];
  for (const link of links) {
    it(`IPv4 over ${link}`, () => {
      const v = decode(buildFrame({ ...syn, link }), linkTypeOf(link));
      expect(v.status).toBe(DecodeStatus.OK);
      expect(v.ipVersion).toBe(4);
      expect(v.src[0]).toBe(ipv4Word('10.0.0.1'));
      expect(v.dst[0]).toBe(ipv4Word('10.0.0.2'));
      expect([v.protocol, v.srcPort, v.dstPort]).toEqual([6, 40000, 22]);
    });
  }
  for (const link of ['ethernet', 'raw', 'ipv6', 'sll', 'sll2', 'null', 'null-be', 'loop'] as LinkName[]) {
    it(`IPv6 over ${link}`, () => {
      const v = decode(buildFrame({ ...syn6, link }), linkTypeOf(link));
      expect(v.status).toBe(DecodeStatus.OK);
      expect(v.ipVersion).toBe(6);
      expect(Array.from(v.src)).toEqual([0x20010db8, 0, 0, 1]);
      expect(v.dstPort).toBe(22);
    });
  }
  it('raw IP under the DLT_RAW values some platforms write (12, 14)', () => {
    for (const lt of [LinkType.DLT_RAW_12, LinkType.DLT_RAW_14]) {
      expect(decode(buildFrame({ ...syn, link: 'raw' }), lt).dstPort).toBe(22);
      expect(decode(buildFrame({ ...syn6, link: 'raw' }), lt).ipVersion).toBe(6);
    }
  });
});

describe('802.1Q and 802.1ad tags are skipped, stacked or not', () => {
  it('one tag', () => {
    const v = decode(buildFrame({ ...syn, vlan: 42 }));
    expect([v.status, v.vlanCount, v.vlanId, v.dstPort]).toEqual([0, 1, 42, 22]);
  });
  it('QinQ: an 802.1ad outer tag around an 802.1Q inner one', () => {
    const f = buildFrame({ ...syn6, vlan: [100, 200] });
    expect(f.readUInt16BE(12)).toBe(0x88a8);
    expect(f.readUInt16BE(16)).toBe(0x8100);
    const v = decode(f);
    expect([v.status, v.vlanCount, v.vlanId, v.dstPort]).toEqual([0, 2, 200, 22]);
  });
  it('the legacy 0x9100 outer tag', () => {
    const f = buildFrame({ ...syn, vlan: [100, 200] });
    f.writeUInt16BE(0x9100, 12);
    expect(decode(f).vlanCount).toBe(2);
  });
  it('a tag cut short is a truncated link header', () => {
    const f = buildFrame({ ...syn, vlan: [1, 2] }).subarray(0, 16);
    expect(verdictOf(f)).toBe('truncated-link');
  });
});

describe('frames that are not IP pass through as not-ip', () => {
  it('ARP', () => expect(verdictOf(buildEthernetFrame(0x0806, Buffer.alloc(28)))).toBe('not-ip'));
  it('ARP inside a VLAN tag', () => expect(verdictOf(buildEthernetFrame(0x0806, Buffer.alloc(28), 5))).toBe('not-ip'));
  it('802.3 with a length instead of a type', () => expect(verdictOf(buildEthernetFrame(46, Buffer.alloc(46)))).toBe('not-ip'));
  it('SLL carrying ARP', () => {
    const f = buildFrame({ ...syn, link: 'sll' });
    f.writeUInt16BE(0x0806, 14);
    expect(verdictOf(f, LinkType.LINUX_SLL)).toBe('not-ip');
  });
  it('a loopback frame of another address family', () => {
    const f = buildFrame({ ...syn, link: 'null' });
    f.writeUInt32LE(7, 0);
    expect(verdictOf(f, LinkType.NULL)).toBe('not-ip');
  });
});

describe('BSD loopback address families', () => {
  for (const af of [24, 28, 30]) {
    it(`AF_INET6 = ${af}, in either byte order`, () => {
      const le = buildFrame({ ...syn6, link: 'null' });
      le.writeUInt32LE(af, 0);
      expect(decode(le, LinkType.NULL).ipVersion).toBe(6);
      const be = buildFrame({ ...syn6, link: 'null' });
      be.writeUInt32BE(af, 0);
      expect(decode(be, LinkType.NULL).ipVersion).toBe(6);
      expect(decode(be, LinkType.LOOP).ipVersion).toBe(6);
    });
  }
  it('LOOP reads the family big-endian only', () => {
    const f = buildFrame({ ...syn, link: 'null' }); // little-endian 2
    expect(verdictOf(f, LinkType.LOOP)).toBe('not-ip');
  });
});

describe('link types the decoder does not know', () => {
  it('are reported as unsupported, not malformed', () => {
    expect(verdictOf(buildFrame(syn), 105)).toBe('unsupported-link');
    expect(verdictOf(buildFrame(syn), 9)).toBe('unsupported-link');
  });
});

describe('the version nibble must match what the link layer announced', () => {
  it('an IPv6 packet under ethertype IPv4', () => {
    const f = buildFrame(syn6);
    f.writeUInt16BE(0x0800, 12);
    expect(verdictOf(f)).toBe('bad-ip-version');
  });
  it('LINKTYPE_IPV4 carrying IPv6, and raw IP with version 5', () => {
    expect(verdictOf(buildFrame({ ...syn6, link: 'raw' }), LinkType.IPV4)).toBe('bad-ip-version');
    const f = buildFrame({ ...syn, link: 'raw' });
    f[0] = 0x55;
    expect(verdictOf(f, LinkType.RAW)).toBe('bad-ip-version');
  });
});

describe('the frame window given by offset and length', () => {
  it('is all the decoder reads', () => {
    const f = buildFrame(syn);
    const padded = Buffer.concat([Buffer.alloc(7, 0xff), f, Buffer.alloc(9, 0xee)]);
    expect(decodeFrame(1, padded, 7, f.length, view)).toBe(DecodeStatus.OK);
    expect(view.dstPort).toBe(22);
    expect(decodeFrame(1, padded, 7, f.length - 1, view)).toBe(DecodeStatus.MALFORMED);
    expect(MALFORMED_REASONS[view.malformedReason]).toBe('ipv4-length-past-frame');
  });
  it('outside the buffer is a truncated link header, not an exception', () => {
    const f = buildFrame(syn);
    expect(decodeFrame(1, f, f.length + 10, 20, view)).toBe(DecodeStatus.MALFORMED);
    expect(decodeFrame(1, f, -1, 20, view)).toBe(DecodeStatus.MALFORMED);
    expect(decodeFrame(1, f, 0, -5, view)).toBe(DecodeStatus.MALFORMED);
    expect(MALFORMED_REASONS[view.malformedReason]).toBe('truncated-link');
  });
});
