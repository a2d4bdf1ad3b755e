import { describe, expect, it } from 'vitest';
import { buildFragments, buildFrame } from '../../src/packet/frame-builder.js';
import { DecodeStatus } from '../../src/packet/packet-view.js';
import { decode, verdictOf } from './decode-helpers.js';

const tcp4 = { src: '192.0.2.10', dst: '198.51.100.7', proto: 'tcp', sport: 5555, dport: 443, flags: 'SA' } as const;
const udp6 = { src: '2001:db8::a', dst: '2001:db8::b', proto: 'udp', sport: 5353, dport: 53 } as const;

describe('IPv4 headers with options', () => {
  it('the upper layer starts after the options (IHL words)', () => {
    // record route (7), length 11, pointer 4, room for 2 addresses
    const f = buildFrame({ ...tcp4, ipOptions: [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0] });
    const v = decode(f);
    expect(v.status).toBe(DecodeStatus.OK);
    expect(v.l4Offset - v.ipOffset).toBe(32);
    expect([v.srcPort, v.dstPort, v.tcpFlags]).toEqual([5555, 443, 0x12]);
    expect(v.ipLength).toBe(52);
  });
  it('trailing Ethernet padding after the IP packet is ignored', () => {
    const f = Buffer.concat([buildFrame({ ...tcp4, proto: 'udp' }), Buffer.alloc(18)]);
    expect(decode(f).ipLength).toBe(28);
  });
});

describe('IPv4 fragments', () => {
  const frames = buildFragments({ ...tcp4, payload: 'x'.repeat(100), id: 0x1234 }, 48);
  it('the first fragment carries ports; later ones carry none, only their offset', () => {
    expect(frames).toHaveLength(3);
    const first = decode(frames[0]);
    expect([first.isFragment, first.fragmentOffset, first.moreFragments, first.fragmentId, first.dstPort]).toEqual([true, 0, true, 0x1234, 443]);
    const second = decode(frames[1]);
    expect([second.status, second.isFragment, second.fragmentOffset, second.moreFragments, second.srcPort, second.dstPort]).toEqual([
      DecodeStatus.OK,
      true,
      48,
      true,
      0,
      0,
    ]);
    expect(second.protocol).toBe(6);
    const last = decode(frames[2]);
    expect([last.fragmentOffset, last.moreFragments]).toEqual([96, false]);
  });
  it('an unfragmented packet is not a fragment', () => {
    const v = decode(buildFrame({ ...tcp4, dontFragment: true }));
    expect([v.isFragment, v.fragmentOffset, v.moreFragments]).toEqual([false, 0, false]);
  });
  it('a first fragment too small to hold the TCP header is malformed (RFC 1858 tiny fragments)', () => {
    const tiny = buildFragments({ ...tcp4, payload: 'x'.repeat(40) }, 8);
    expect(verdictOf(tiny[0])).toBe('short-tcp-header');
    expect(verdictOf(tiny[1])).toBe('ok');
  });
  it('a fragment reaching past 65535 bytes is malformed (ping of death)', () => {
    const f = buildFragments({ ...tcp4, payload: 'x'.repeat(100) }, 48)[1];
    f.writeUInt16BE(0x1fff, 14 + 6); // offset 65528, 68 bytes of data
    expect(verdictOf(f)).toBe('bad-fragment');
  });
});

describe('IPv6 extension header chains', () => {
  it('hop-by-hop, routing, destination options and AH are walked to the upper layer', () => {
    const v = decode(buildFrame({ ...udp6, ipv6Ext: ['hop', 'routing', 'dest', 'ah'] }));
    expect(v.status).toBe(DecodeStatus.OK);
    expect([v.protocol, v.srcPort, v.dstPort]).toEqual([17, 5353, 53]);
    expect(v.l4Offset - v.ipOffset).toBe(40 + 8 + 8 + 8 + 16);
  });
  it('ESP is the upper layer: nothing after it is readable', () => {
    const v = decode(buildFrame({ ...udp6, proto: 50, payload: Buffer.alloc(24, 0xab), ipv6Ext: ['dest'] }));
    expect([v.status, v.protocol, v.dstPort]).toEqual([DecodeStatus.OK, 50, 0]);
  });
  it('no next header (59) ends the chain', () => {
    const v = decode(buildFrame({ ...udp6, proto: 59 }));
    expect([v.status, v.protocol]).toEqual([DecodeStatus.OK, 59]);
  });
  it('fragments: the first carries ports, later ones only their offset and the upper protocol', () => {
    const frames = buildFragments({ ...udp6, payload: 'y'.repeat(60), ipv6Ext: ['hop'], id: 0xdeadbeef }, 32);
    const first = decode(frames[0]);
    expect([first.isFragment, first.fragmentOffset, first.moreFragments, first.fragmentId, first.dstPort]).toEqual([
      true,
      0,
      true,
      0xdeadbeef,
      53,
    ]);
    const later = decode(frames[1]);
    expect([later.status, later.isFragment, later.fragmentOffset, later.protocol, later.dstPort]).toEqual([DecodeStatus.OK, true, 32, 17, 0]);
  });
  it('a hop-by-hop header anywhere but first is malformed (RFC 8200 §4.1)', () => {
    expect(verdictOf(buildFrame({ ...udp6, ipv6Ext: ['dest', 'hop'] }))).toBe('bad-ipv6-ext');
  });
  it('an extension header longer than the packet is malformed', () => {
    const f = buildFrame({ ...udp6, ipv6Ext: ['routing'] });
    f[14 + 40 + 1] = 200;
    expect(verdictOf(f)).toBe('bad-ipv6-ext');
  });
  it('a payload length past the frame is malformed', () => {
    const f = buildFrame(udp6);
    f.writeUInt16BE(500, 14 + 4);
    expect(verdictOf(f)).toBe('ipv6-length-past-frame');
  });
});
