// PPPoE session frames (RFC 2516, EtherType 0x8864): a 6-byte PPPoE header (version/type, code,
// session, length), then the PPP protocol field (RFC 1661: two bytes, or one when Protocol-Field-
// Compression was negotiated: an odd first byte) and the datagram. The receiving PPP stack delivers
// the datagram by that field alone (Linux's pppoe_rcv checks neither the code nor the version), so
// the decoder does the same.
import { u16be } from './byte-order.js';

export const PPPOE_HEADER_LENGTH = 6;

export const PppProtocol = {
  IPV4: 0x0021,
  IPV6: 0x0057,
} as const;

/**
 * PPP protocols that carry IP in a form no verdict can read: Van Jacobson compressed TCP/IP, multilink
 * fragments, encrypted and compressed datagrams, MPLS. Everything else is IP (judged) or not IP:
 * LCP, the NCPs, authentication (≥ 0x8000), IPX and the like (passed, as their EtherTypes are).
 */
export function isOpaquePppProtocol(p: number): boolean {
  return p === 0x002d || p === 0x002f || p === 0x003d || p === 0x0053 || p === 0x0055 || p === 0x00fb || p === 0x00fd || p === 0x0281 || p === 0x0283;
}

/** The PPP protocol at `o` (after the PPPoE header), two bytes or a compressed one; -1 when cut short. */
export function pppProtocol(b: Uint8Array, o: number, end: number): number {
  if (end - o < 1) return -1;
  // an odd first byte is the whole (compressed) field
  if ((b[o]! & 1) === 1) return b[o]!;
  if (end - o < 2) return -1;
  return u16be(b, o);
}

/** How many bytes the protocol field at `o` takes. */
export function pppProtocolLength(b: Uint8Array, o: number): number {
  return (b[o]! & 1) === 1 ? 1 : 2;
}
