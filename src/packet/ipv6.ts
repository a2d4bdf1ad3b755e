// IPv6 header and extension-header chain (RFC 8200 §4; AH: RFC 4302).
import { i32be, u16be, u32be } from './byte-order.js';
import { Malformed } from './malformed.js';
import type { PacketView, QuotedHeader } from './packet-view.js';

export const IPV6_HEADER_LENGTH = 40;
export const IPV6_PAYLOAD_LENGTH_OFFSET = 4;
export const IPV6_NEXT_HEADER_OFFSET = 6;
export const IPV6_SRC_OFFSET = 8;
export const IPV6_DST_OFFSET = 24;
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;
export const IPV6_MAX_DATAGRAM = 65535;

export const Ipv6Ext = {
  HOP_BY_HOP: 0,
  ROUTING: 43,
  FRAGMENT: 44,
  /** ESP (50) encrypts what follows: it is the upper layer as far as the filter can see */
  AH: 51,
  NO_NEXT_HEADER: 59,
  DESTINATION: 60,
} as const;

/**
 * What the last `walkExtensions` found. One module-level object, reused, so the walk allocates
 * nothing; read it right after the call.
 */
export const chain = {
  protocol: 0,
  upperOffset: 0,
  isFragment: false,
  fragmentOffset: 0,
  moreFragments: false,
  fragmentId: 0,
};

/**
 * Walks the extension headers from `o` (first next-header value `next`) up to the upper layer or a
 * non-first fragment, within `[o, end)`. Returns 0, or `~reason`. `lenient` (for ICMP quotes, cut
 * short by design) stops quietly where the bytes end instead of failing.
 */
export function walkExtensions(b: Uint8Array, o: number, end: number, next: number, lenient: boolean): number {
  chain.isFragment = false;
  chain.fragmentOffset = 0;
  chain.moreFragments = false;
  chain.fragmentId = 0;
  let first = true;
  // Every extension header is at least 8 bytes, so the loop ends within (end - o) / 8 steps.
  for (;;) {
    let length: number;
    if (next === Ipv6Ext.HOP_BY_HOP || next === Ipv6Ext.ROUTING || next === Ipv6Ext.DESTINATION) {
      if (next === Ipv6Ext.HOP_BY_HOP && !first) return ~Malformed.BAD_IPV6_EXT;
      if (end - o < 2) break;
      length = (b[o + 1] + 1) << 3;
    } else if (next === Ipv6Ext.AH) {
      if (end - o < 2) break;
      length = (b[o + 1] + 2) << 2;
    } else if (next === Ipv6Ext.FRAGMENT) {
      if (end - o < IPV6_FRAGMENT_HEADER_LENGTH) break;
      const field = u16be(b, o + 2);
      chain.isFragment = true;
      chain.fragmentOffset = field & 0xfff8;
      chain.moreFragments = (field & 1) !== 0;
      chain.fragmentId = u32be(b, o + 4);
      length = IPV6_FRAGMENT_HEADER_LENGTH;
      if (chain.fragmentOffset !== 0) {
        // A later fragment carries the middle of the datagram: what follows is data, not headers.
        if (!lenient && chain.fragmentOffset + (end - o - length) > IPV6_MAX_DATAGRAM) return ~Malformed.BAD_FRAGMENT;
        chain.protocol = b[o];
        chain.upperOffset = o + length;
        return 0;
      }
    } else {
      chain.protocol = next;
      chain.upperOffset = o;
      return 0;
    }
    if (o + length > end) break;
    next = b[o];
    o += length;
    first = false;
  }
  if (!lenient) return ~Malformed.BAD_IPV6_EXT;
  chain.protocol = next;
  chain.upperOffset = end;
  return 0;
}

function readAddress(b: Uint8Array, o: number, into: Uint32Array): void {
  into[0] = i32be(b, o);
  into[1] = i32be(b, o + 4);
  into[2] = i32be(b, o + 8);
  into[3] = i32be(b, o + 12);
}

/** Fills the IPv6 part of `v`. Returns the upper-layer offset, or `~reason`. */
export function parseIpv6(b: Uint8Array, o: number, end: number, v: PacketView): number {
  if (end - o < IPV6_HEADER_LENGTH) return ~Malformed.TRUNCATED_IPV6;
  if (b[o] >> 4 !== 6) return ~Malformed.BAD_IP_VERSION;
  const total = IPV6_HEADER_LENGTH + u16be(b, o + IPV6_PAYLOAD_LENGTH_OFFSET);
  if (o + total > end && !v.captureCut) return ~Malformed.IPV6_LENGTH_PAST_FRAME;
  const walked = walkExtensions(b, o + IPV6_HEADER_LENGTH, o + total > end ? end : o + total, b[o + IPV6_NEXT_HEADER_OFFSET], false);
  if (walked < 0) return walked;
  v.ipVersion = 6;
  v.ipOffset = o;
  v.ipLength = total;
  readAddress(b, o + IPV6_SRC_OFFSET, v.src);
  readAddress(b, o + IPV6_DST_OFFSET, v.dst);
  v.protocol = chain.protocol;
  v.isFragment = chain.isFragment;
  v.fragmentOffset = chain.fragmentOffset;
  v.moreFragments = chain.moreFragments;
  v.fragmentId = chain.fragmentId;
  return chain.upperOffset;
}

/** Reads the IPv6 header quoted in an ICMPv6 error; -1 when it is incomplete. See `chain`. */
export function parseQuotedIpv6(b: Uint8Array, o: number, end: number, q: QuotedHeader): number {
  if (end - o < IPV6_HEADER_LENGTH || b[o] >> 4 !== 6) return -1;
  const walked = walkExtensions(b, o + IPV6_HEADER_LENGTH, end, b[o + IPV6_NEXT_HEADER_OFFSET], true);
  if (walked < 0) return -1;
  q.ipVersion = 6;
  readAddress(b, o + IPV6_SRC_OFFSET, q.src);
  readAddress(b, o + IPV6_DST_OFFSET, q.dst);
  q.protocol = chain.protocol;
  return chain.upperOffset;
}
