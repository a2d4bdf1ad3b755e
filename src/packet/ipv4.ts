// IPv4 header (RFC 791): validated once, then read field by field into the view.
import { i32be, u16be } from './byte-order.js';
import { Malformed } from './malformed.js';
import type { PacketView, QuotedHeader } from './packet-view.js';

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_TOTAL_LENGTH_OFFSET = 2;
export const IPV4_ID_OFFSET = 4;
export const IPV4_FLAGS_FRAGMENT_OFFSET = 6;
export const IPV4_PROTOCOL_OFFSET = 9;
export const IPV4_SRC_OFFSET = 12;
export const IPV4_DST_OFFSET = 16;
export const IPV4_MORE_FRAGMENTS = 0x2000;
export const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
/** RFC 791: a datagram, reassembled, is at most 65535 bytes */
export const IPV4_MAX_DATAGRAM = 65535;

export function ipv4HeaderLength(b: Uint8Array, o: number): number {
  return (b[o] & 0x0f) << 2;
}

/**
 * Fills the IPv4 part of `v` from the header at `o` (the frame ends at `end`). Returns the offset
 * of the upper-layer header, or `~reason` (negative) when the header is malformed.
 */
export function parseIpv4(b: Uint8Array, o: number, end: number, v: PacketView): number {
  if (end - o < IPV4_MIN_HEADER_LENGTH) return ~Malformed.TRUNCATED_IPV4;
  if (b[o] >> 4 !== 4) return ~Malformed.BAD_IP_VERSION;
  const ihl = ipv4HeaderLength(b, o);
  if (ihl < IPV4_MIN_HEADER_LENGTH || o + ihl > end) return ~Malformed.BAD_IPV4_IHL;
  const total = u16be(b, o + IPV4_TOTAL_LENGTH_OFFSET);
  if (total < ihl) return ~Malformed.BAD_IPV4_LENGTH;
  if (o + total > end && !v.captureCut) return ~Malformed.IPV4_LENGTH_PAST_FRAME;
  const fragmentOffset = ipv4FragmentOffset(b, o);
  const more = (u16be(b, o + IPV4_FLAGS_FRAGMENT_OFFSET) & IPV4_MORE_FRAGMENTS) !== 0;
  if (fragmentOffset + total - ihl > IPV4_MAX_DATAGRAM) return ~Malformed.BAD_FRAGMENT;

  v.ipVersion = 4;
  v.ipOffset = o;
  v.ipLength = total;
  v.protocol = b[o + IPV4_PROTOCOL_OFFSET];
  v.src[0] = i32be(b, o + IPV4_SRC_OFFSET);
  v.dst[0] = i32be(b, o + IPV4_DST_OFFSET);
  v.isFragment = more || fragmentOffset !== 0;
  v.fragmentOffset = fragmentOffset;
  v.moreFragments = more;
  v.fragmentId = u16be(b, o + IPV4_ID_OFFSET);
  return o + ihl;
}

/**
 * Reads the IPv4 header quoted in an ICMP error. The quote is usually cut after 8 bytes of the
 * upper layer (RFC 792), so the total length is not checked against the bytes present. Returns the
 * offset of the quoted upper layer, or -1 when the quoted header is incomplete.
 */
export function parseQuotedIpv4(b: Uint8Array, o: number, end: number, q: QuotedHeader): number {
  if (end - o < IPV4_MIN_HEADER_LENGTH || b[o] >> 4 !== 4) return -1;
  const ihl = ipv4HeaderLength(b, o);
  if (ihl < IPV4_MIN_HEADER_LENGTH || o + ihl > end) return -1;
  q.ipVersion = 4;
  q.protocol = b[o + IPV4_PROTOCOL_OFFSET];
  q.src[0] = i32be(b, o + IPV4_SRC_OFFSET);
  q.dst[0] = i32be(b, o + IPV4_DST_OFFSET);
  q.src[1] = q.src[2] = q.src[3] = 0;
  q.dst[1] = q.dst[2] = q.dst[3] = 0;
  return o + ihl;
}

/** the fragment offset in bytes of the IPv4 header at `o` (ports exist only at offset 0) */
export function ipv4FragmentOffset(b: Uint8Array, o: number): number {
  return (u16be(b, o + IPV4_FLAGS_FRAGMENT_OFFSET) & IPV4_FRAGMENT_OFFSET_MASK) << 3;
}
