// ICMPv6 (RFC 4443): type, code, echo identifier, and the packet quoted inside errors.
import { u16be } from './byte-order.js';
import { chain, parseQuotedIpv6 } from './ipv6.js';
import { Malformed } from './malformed.js';
import { IpProto, type PacketView, type QuotedHeader } from './packet-view.js';

export const ICMPV6_MIN_LENGTH = 4;
/** echo and error messages carry 4 more bytes (identifier+sequence, or unused/MTU/pointer) */
export const ICMPV6_HEADER_LENGTH = 8;
export const ICMPV6_TYPE_OFFSET = 0;
export const ICMPV6_CODE_OFFSET = 1;
export const ICMPV6_ID_OFFSET = 4;
export const ICMPV6_QUOTE_OFFSET = 8;

export function isIcmpv6Error(type: number): boolean {
  return type >= 1 && type <= 4;
}

export function isIcmpv6Echo(type: number): boolean {
  return type === 128 || type === 129;
}

/** Fills the ICMPv6 fields of `v` from the header at `o`. Returns 0 or `~reason`. */
export function parseIcmpv6(b: Uint8Array, o: number, end: number, v: PacketView): number {
  if (end - o < ICMPV6_MIN_LENGTH) return ~Malformed.TRUNCATED_ICMPV6;
  const type = b[o + ICMPV6_TYPE_OFFSET];
  const echo = isIcmpv6Echo(type);
  const error = isIcmpv6Error(type);
  if ((echo || error) && end - o < ICMPV6_HEADER_LENGTH) return ~Malformed.TRUNCATED_ICMPV6;
  v.icmpType = type;
  v.icmpCode = b[o + ICMPV6_CODE_OFFSET];
  if (echo) v.icmpId = u16be(b, o + ICMPV6_ID_OFFSET);
  else if (error) readQuote(b, o + ICMPV6_QUOTE_OFFSET, end, v.quoted);
  return 0;
}

// As for ICMP: a quote cut short leaves `quoted.valid` false rather than making the error malformed.
function readQuote(b: Uint8Array, o: number, end: number, q: QuotedHeader): void {
  q.clear();
  const upper = parseQuotedIpv6(b, o, end, q);
  if (upper < 0) return;
  q.valid = true;
  if (chain.fragmentOffset !== 0) return;
  const p = q.protocol;
  if ((p === IpProto.TCP || p === IpProto.UDP) && end - upper >= 4) {
    q.srcPort = u16be(b, upper);
    q.dstPort = u16be(b, upper + 2);
  } else if (p === IpProto.ICMPV6 && end - upper >= 6) {
    q.icmpType = b[upper];
    if (isIcmpv6Echo(q.icmpType)) q.icmpId = u16be(b, upper + ICMPV6_ID_OFFSET);
  }
}
