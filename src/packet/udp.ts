// UDP header (RFC 768).
import { u16be } from './byte-order.js';
import { Malformed } from './malformed.js';
import type { PacketView } from './packet-view.js';

export const UDP_HEADER_LENGTH = 8;
export const UDP_SRC_PORT_OFFSET = 0;
export const UDP_DST_PORT_OFFSET = 2;
export const UDP_LENGTH_OFFSET = 4;

/** Fills ports from the UDP header at `o` (IP packet ends at `end`). Returns 0 or `~reason`. */
export function parseUdp(b: Uint8Array, o: number, end: number, v: PacketView): number {
  if (end - o < UDP_HEADER_LENGTH) return ~Malformed.TRUNCATED_UDP;
  const length = u16be(b, o + UDP_LENGTH_OFFSET);
  // A first fragment carries only part of the datagram, so its UDP length may reach past it.
  if (length < UDP_HEADER_LENGTH || (o + length > end && !v.moreFragments && !v.captureCut)) return ~Malformed.BAD_UDP_LENGTH;
  v.srcPort = u16be(b, o + UDP_SRC_PORT_OFFSET);
  v.dstPort = u16be(b, o + UDP_DST_PORT_OFFSET);
  return 0;
}
