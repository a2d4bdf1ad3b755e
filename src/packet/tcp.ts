// TCP header (RFC 9293 §3.1): ports, flags, data offset.
import { u16be } from './byte-order.js';
import { Malformed } from './malformed.js';
import type { PacketView } from './packet-view.js';

export const TCP_MIN_HEADER_LENGTH = 20;
export const TCP_SRC_PORT_OFFSET = 0;
export const TCP_DST_PORT_OFFSET = 2;
export const TCP_DATA_OFFSET_OFFSET = 12;
export const TCP_FLAGS_OFFSET = 13;

/** Fills ports and flags from the TCP header at `o` (IP packet ends at `end`). Returns 0 or `~reason`. */
export function parseTcp(b: Uint8Array, o: number, end: number, v: PacketView): number {
  if (end - o < TCP_MIN_HEADER_LENGTH) return ~Malformed.SHORT_TCP_HEADER;
  const headerLength = (b[o + TCP_DATA_OFFSET_OFFSET] >> 4) << 2;
  if (headerLength < TCP_MIN_HEADER_LENGTH || o + headerLength > end) return ~Malformed.BAD_TCP_OFFSET;
  v.srcPort = u16be(b, o + TCP_SRC_PORT_OFFSET);
  v.dstPort = u16be(b, o + TCP_DST_PORT_OFFSET);
  v.tcpFlags = b[o + TCP_FLAGS_OFFSET] & 0x3f;
  return 0;
}
