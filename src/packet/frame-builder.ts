// Builds correct frames (valid lengths and checksums) for tests, scripts and benchmarks. Not for
// the hot path: it allocates freely and favours specs that read well in a scenario:
//   buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' })
import ipaddr from 'ipaddr.js';
import { EtherType } from './ethernet.js';
import { LinkType } from './link-types.js';

export type LinkName = 'ethernet' | 'raw' | 'ipv4' | 'ipv6' | 'sll' | 'sll2' | 'null' | 'null-be' | 'loop';
export type ProtoName = 'tcp' | 'udp' | 'icmp' | 'icmpv6';
export type Ipv6ExtName = 'hop' | 'routing' | 'dest' | 'ah';

export interface IcmpSpec {
  type: number;
  code?: number;
  /** echo identifier and sequence */
  id?: number;
  seq?: number;
  /** for errors: the packet that caused it; the IP header and first 8 bytes of its payload are quoted (all of it for ICMPv6) */
  quote?: FrameSpec | Uint8Array;
}

export interface FrameSpec {
  /** default 'ethernet' */
  link?: LinkName;
  srcMac?: string;
  dstMac?: string;
  /** VLAN ids, outermost first; with several tags the outer ones use the 802.1ad TPID (QinQ) */
  vlan?: number | readonly number[];
  /** IPv4 or IPv6 addresses (the family follows the source) */
  src: string;
  dst: string;
  /** a name, or any IP protocol number (e.g. 47 for GRE; the payload is then the whole body) */
  proto: ProtoName | number;
  sport?: number;
  dport?: number;
  /** TCP flags as letters: F S R P A U, e.g. 'S', 'SA', 'FA', 'R' */
  flags?: string;
  seq?: number;
  ack?: number;
  window?: number;
  payload?: Uint8Array | string;
  icmp?: IcmpSpec;
  /** IPv4 TTL / IPv6 hop limit (default 64) */
  ttl?: number;
  /** IPv4 identification, or the IPv6 fragment header's identification */
  id?: number;
  dontFragment?: boolean;
  /** raw IPv4 options, padded with zeros (end of options list) to a multiple of 4 bytes */
  ipOptions?: Uint8Array | readonly number[];
  /** IPv6 extension headers, in order, before the upper layer */
  ipv6Ext?: readonly Ipv6ExtName[];
}

const PROTO_NUMBERS: Record<ProtoName, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };
const EXT_NUMBERS: Record<Ipv6ExtName, number> = { hop: 0, routing: 43, dest: 60, ah: 51 };

/** The pcap link type a frame built with `link` needs. */
export function linkTypeOf(link: LinkName = 'ethernet'): number {
  switch (link) {
    case 'ethernet':
      return LinkType.ETHERNET;
    case 'raw':
      return LinkType.RAW;
    case 'ipv4':
      return LinkType.IPV4;
    case 'ipv6':
      return LinkType.IPV6;
    case 'sll':
      return LinkType.LINUX_SLL;
    case 'sll2':
      return LinkType.LINUX_SLL2;
    case 'null':
    case 'null-be':
      return LinkType.NULL;
    case 'loop':
      return LinkType.LOOP;
  }
}

/** One complete frame for `spec`, link header included. */
export function buildFrame(spec: FrameSpec): Buffer {
  return wrapLink(spec, buildIpPacket(spec));
}

/** The IP packet alone (no link header). */
export function buildIpPacket(spec: FrameSpec): Buffer {
  const src = addressBytes(spec.src);
  const dst = addressBytes(spec.dst);
  const proto = protoNumber(spec);
  const upper = buildUpper(spec, proto, src, dst);
  return src.length === 4 ? ipv4(spec, proto, src, dst, upper, 0, false) : ipv6(spec, proto, src, dst, upper, null);
}

/**
 * The datagram of `spec` cut into fragments carrying at most `fragmentSize` bytes of its payload
 * each (rounded down to a multiple of 8), as frames in order.
 */
export function buildFragments(spec: FrameSpec, fragmentSize: number): Buffer[] {
  const size = Math.max(8, fragmentSize & ~7);
  const src = addressBytes(spec.src);
  const dst = addressBytes(spec.dst);
  const proto = protoNumber(spec);
  const upper = buildUpper(spec, proto, src, dst);
  const frames: Buffer[] = [];
  for (let at = 0; at < upper.length; at += size) {
    const part = upper.subarray(at, Math.min(upper.length, at + size));
    const more = at + size < upper.length;
    const packet =
      src.length === 4 ? ipv4(spec, proto, src, dst, part, at, more) : ipv6(spec, proto, src, dst, part, { offset: at, more });
    frames.push(wrapLink(spec, packet));
  }
  return frames;
}

/** Puts the link-layer header of `spec.link` (and its VLAN tags) in front of an IP packet. */
export function wrapLink(spec: Pick<FrameSpec, 'link' | 'srcMac' | 'dstMac' | 'vlan'>, packet: Uint8Array, etherType?: number): Buffer {
  const version = packet.length > 0 ? packet[0] >> 4 : 4;
  const type = etherType ?? (version === 6 ? EtherType.IPV6 : EtherType.IPV4);
  const link = spec.link ?? 'ethernet';
  const body = Buffer.from(packet);
  switch (link) {
    case 'raw':
    case 'ipv4':
    case 'ipv6':
      return body;
    case 'null': {
      // little-endian host (the byte order of most captures); AF_INET6 as on macOS
      const h = Buffer.alloc(4);
      h.writeUInt32LE(version === 6 ? 30 : 2);
      return Buffer.concat([h, body]);
    }
    case 'null-be':
    case 'loop': {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(version === 6 ? 24 : 2);
      return Buffer.concat([h, body]);
    }
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0); // addressed to us
      h.writeUInt16BE(1, 2); // ARPHRD_ETHER
      h.writeUInt16BE(6, 4);
      macBytes(spec.srcMac ?? '02:00:00:00:00:01').copy(h, 6);
      h.writeUInt16BE(type, 14);
      return Buffer.concat([h, body]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(type, 0);
      h.writeUInt32BE(2, 4); // ifindex
      h.writeUInt16BE(1, 8); // ARPHRD_ETHER
      h[10] = 0;
      h[11] = 6;
      macBytes(spec.srcMac ?? '02:00:00:00:00:01').copy(h, 12);
      return Buffer.concat([h, body]);
    }
    case 'ethernet': {
      const tags = spec.vlan === undefined ? [] : typeof spec.vlan === 'number' ? [spec.vlan] : [...spec.vlan];
      const h = Buffer.alloc(14 + tags.length * 4);
      macBytes(spec.dstMac ?? '02:00:00:00:00:02').copy(h, 0);
      macBytes(spec.srcMac ?? '02:00:00:00:00:01').copy(h, 6);
      let o = 12;
      tags.forEach((vid, i) => {
        h.writeUInt16BE(i < tags.length - 1 ? EtherType.QINQ : EtherType.VLAN, o);
        h.writeUInt16BE(vid & 0x0fff, o + 2);
        o += 4;
      });
      h.writeUInt16BE(type, o);
      return Buffer.concat([h, body]);
    }
  }
}

/** An Ethernet frame of another ethertype (ARP 0x0806, LLDP 0x88cc, …) with `body` after the header. */
export function buildEthernetFrame(etherType: number, body: Uint8Array, vlan?: number | readonly number[]): Buffer {
  return wrapLink({ link: 'ethernet', vlan }, body, etherType);
}

/** The Internet checksum (RFC 1071) of `parts` laid end to end. */
export function internetChecksum(...parts: Uint8Array[]): number {
  const all = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += (all[i] << 8) | (i + 1 < all.length ? all[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function addressBytes(address: string): Buffer {
  return Buffer.from(ipaddr.parse(address).toByteArray());
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

function protoNumber(spec: FrameSpec): number {
  return typeof spec.proto === 'number' ? spec.proto : PROTO_NUMBERS[spec.proto];
}

function payloadOf(spec: FrameSpec): Buffer {
  if (spec.payload === undefined) return Buffer.alloc(0);
  return typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload);
}

function pseudoHeader(src: Buffer, dst: Buffer, proto: number, length: number): Buffer {
  if (src.length === 4) {
    const h = Buffer.alloc(12);
    src.copy(h, 0);
    dst.copy(h, 4);
    h[9] = proto;
    h.writeUInt16BE(length, 10);
    return h;
  }
  const h = Buffer.alloc(40);
  src.copy(h, 0);
  dst.copy(h, 16);
  h.writeUInt32BE(length, 32);
  h[39] = proto;
  return h;
}

function tcpFlags(letters: string): number {
  let f = 0;
  for (const c of letters.toUpperCase()) {
    const bit = 'FSRPAU'.indexOf(c);
    if (bit < 0) throw new Error(`unknown TCP flag ${c} in '${letters}'`);
    f |= 1 << bit;
  }
  return f;
}

function buildUpper(spec: FrameSpec, proto: number, src: Buffer, dst: Buffer): Buffer {
  const payload = payloadOf(spec);
  if (proto === 6) {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(spec.sport ?? 0, 0);
    h.writeUInt16BE(spec.dport ?? 0, 2);
    h.writeUInt32BE((spec.seq ?? 0) >>> 0, 4);
    h.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
    h[12] = 5 << 4;
    h[13] = tcpFlags(spec.flags ?? '');
    h.writeUInt16BE(spec.window ?? 65535, 14);
    const seg = Buffer.concat([h, payload]);
    seg.writeUInt16BE(internetChecksum(pseudoHeader(src, dst, 6, seg.length), seg), 16);
    return seg;
  }
  if (proto === 17) {
    const seg = Buffer.concat([Buffer.alloc(8), payload]);
    seg.writeUInt16BE(spec.sport ?? 0, 0);
    seg.writeUInt16BE(spec.dport ?? 0, 2);
    seg.writeUInt16BE(seg.length, 4);
    const sum = internetChecksum(pseudoHeader(src, dst, 17, seg.length), seg);
    seg.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
    return seg;
  }
  if (proto === 1 || proto === 58) {
    const icmp = spec.icmp ?? { type: proto === 1 ? 8 : 128 };
    let body = payload;
    if (icmp.quote !== undefined) {
      const quoted = icmp.quote instanceof Uint8Array ? Buffer.from(icmp.quote) : buildIpPacket(icmp.quote);
      // RFC 792: the internet header plus 64 bits of data; RFC 4443 §2.4: as much as fits in 1280.
      const keep = proto === 1 ? (quoted[0] & 0x0f) * 4 + 8 : 1280 - 48;
      body = Buffer.concat([quoted.subarray(0, Math.min(keep, quoted.length)), payload]);
    }
    const msg = Buffer.concat([Buffer.alloc(8), body]);
    msg[0] = icmp.type;
    msg[1] = icmp.code ?? 0;
    msg.writeUInt16BE(icmp.id ?? 0, 4);
    msg.writeUInt16BE(icmp.seq ?? 0, 6);
    const sum = proto === 1 ? internetChecksum(msg) : internetChecksum(pseudoHeader(src, dst, 58, msg.length), msg);
    msg.writeUInt16BE(sum, 2);
    return msg;
  }
  return payload;
}

function ipv4(spec: FrameSpec, proto: number, src: Buffer, dst: Buffer, body: Buffer, fragmentOffset: number, more: boolean): Buffer {
  const raw = spec.ipOptions ? Buffer.from(spec.ipOptions) : Buffer.alloc(0);
  const options = Buffer.concat([raw, Buffer.alloc((4 - (raw.length % 4)) % 4)]);
  const h = Buffer.alloc(20 + options.length);
  h[0] = 0x40 | (h.length >> 2);
  h.writeUInt16BE(h.length + body.length, 2);
  h.writeUInt16BE((spec.id ?? 1) & 0xffff, 4);
  h.writeUInt16BE((spec.dontFragment ? 0x4000 : 0) | (more ? 0x2000 : 0) | (fragmentOffset >> 3), 6);
  h[8] = spec.ttl ?? 64;
  h[9] = proto;
  src.copy(h, 12);
  dst.copy(h, 16);
  options.copy(h, 20);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, body]);
}

function ipv6(
  spec: FrameSpec,
  proto: number,
  src: Buffer,
  dst: Buffer,
  body: Buffer,
  fragment: { offset: number; more: boolean } | null,
): Buffer {
  const chain: { type: number; bytes: Buffer }[] = [];
  for (const name of spec.ipv6Ext ?? []) {
    // AH counts its length in 4-byte units minus 2 (RFC 4302); 12 bytes + 4 of ICV → 16, length field 2.
    chain.push({ type: EXT_NUMBERS[name], bytes: name === 'ah' ? Buffer.from([0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]) : Buffer.alloc(8) });
  }
  if (fragment) {
    const f = Buffer.alloc(8);
    f.writeUInt16BE(fragment.offset | (fragment.more ? 1 : 0), 2);
    f.writeUInt32BE((spec.id ?? 1) >>> 0, 4);
    chain.push({ type: 44, bytes: f });
  }
  for (let i = 0; i < chain.length; i++) chain[i].bytes[0] = i + 1 < chain.length ? chain[i + 1].type : proto;
  const exts = Buffer.concat(chain.map((c) => c.bytes));
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(exts.length + body.length, 4);
  h[6] = chain.length > 0 ? chain[0].type : proto;
  h[7] = spec.ttl ?? 64;
  src.copy(h, 8);
  dst.copy(h, 24);
  return Buffer.concat([h, exts, body]);
}
