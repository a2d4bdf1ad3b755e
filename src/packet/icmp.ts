// ICMP for IPv4 (RFC 792): type, code, echo identifier, and the header quoted inside errors.
import { u16be } from './byte-order.js';
import { ipv4FragmentOffset, parseQuotedIpv4 } from './ipv4.js';
import { Malformed } from './malformed.js';
import { IpProto, type PacketView, type QuotedHeader } from './packet-view.js';

export const ICMP_HEADER_LENGTH = 8;
export const ICMP_TYPE_OFFSET = 0;
export const ICMP_CODE_OFFSET = 1;
export const ICMP_ID_OFFSET = 4;
export const ICMP_SEQUENCE_OFFSET = 6;
/** errors quote "the internet header + 64 bits of the original data datagram" right after the 8-byte header */
export const ICMP_QUOTE_OFFSET = 8;

export function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** messages with an identifier/sequence pair in the rest of the header (RFC 792, RFC 950) */
export function icmpHasIdentifier(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

/** Fills the ICMP fields of `v` from the header at `o`. Returns 0 or `~reason`. */
export function parseIcmp(b: Uint8Array, o: number, end: number, v: PacketView): number {
  if (end - o < ICMP_HEADER_LENGTH) return ~Malformed.TRUNCATED_ICMP;
  const type = b[o + ICMP_TYPE_OFFSET];
  v.icmpType = type;
  v.icmpCode = b[o + ICMP_CODE_OFFSET];
  if (icmpHasIdentifier(type)) v.icmpId = u16be(b, o + ICMP_ID_OFFSET);
  else if (isIcmpError(type)) readQuote(b, o + ICMP_QUOTE_OFFSET, end, v.quoted);
  return 0;
}

// A quote that is cut short is not malformed: the error is still an error, it just relates to
// no flow (`quoted.valid` stays false) and is judged by the rules alone.
function readQuote(b: Uint8Array, o: number, end: number, q: QuotedHeader): void {
  q.clear();
  const upper = parseQuotedIpv4(b, o, end, q);
  if (upper < 0) return;
  q.valid = true;
  if (ipv4FragmentOffset(b, o) !== 0) return;
  const p = q.protocol;
  if ((p === IpProto.TCP || p === IpProto.UDP) && end - upper >= 4) {
    q.srcPort = u16be(b, upper);
    q.dstPort = u16be(b, upper + 2);
  } else if (p === IpProto.ICMP && end - upper >= ICMP_SEQUENCE_OFFSET) {
    q.icmpType = b[upper];
    if (icmpHasIdentifier(q.icmpType)) q.icmpId = u16be(b, upper + ICMP_ID_OFFSET);
  }
}
