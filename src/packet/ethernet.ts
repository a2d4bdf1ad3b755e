// Ethernet II and IEEE 802.1Q / 802.1ad tags.
import { u16be } from './byte-order.js';

export const ETHERNET_HEADER_LENGTH = 14;
export const ETHERNET_TYPE_OFFSET = 12;
/** a tag is TPID (already read as the ethertype) + TCI, then the next ethertype */
export const VLAN_TAG_LENGTH = 4;
export const VLAN_VID_MASK = 0x0fff;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  /** pre-standard QinQ outer tag, still seen on some switches */
  QINQ_LEGACY: 0x9100,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  MPLS: 0x8847,
  MPLS_MULTICAST: 0x8848,
  /** IEEE 802.1ah provider backbone bridging (MAC-in-MAC) */
  PBB: 0x88e7,
  /** network service header (RFC 8300) */
  NSH: 0x894f,
  /** IEEE 802.1AE MACsec: the peer's MACsec device delivers the IP inside, encrypted or not */
  MACSEC: 0x88e5,
} as const;

/** The largest value of the type field that is an 802.3 length (an LLC header follows), not an EtherType. */
export const MAX_8023_LENGTH = 1500;

/**
 * EtherTypes whose payload may be IP (and reach an IP stack behind the wire) in a form the decoder
 * does not unwrap: MPLS label stacks (IP or an Ethernet pseudowire under them, nothing says which),
 * MAC-in-MAC, NSH, MACsec (encrypted, or integrity only). A bump in the wire drops them rather than
 * passing them as not IP.
 */
export function isOpaqueIpCarrier(type: number): boolean {
  return type === EtherType.MPLS || type === EtherType.MPLS_MULTICAST || type === EtherType.PBB || type === EtherType.NSH || type === EtherType.MACSEC;
}

/**
 * An 802.3 frame's LLC/SNAP header at `o` (RFC 1042: AA AA 03, OUI 00 00 00) naming IPv4, IPv6 or a
 * VLAN tag: IP the decoder does not unwrap (Linux does not deliver it, other stacks may).
 */
export function isSnapIp(b: Uint8Array, o: number, end: number): boolean {
  if (end - o < 8 || b[o] !== 0xaa || b[o + 1] !== 0xaa || b[o + 2] !== 0x03 || b[o + 3] !== 0 || b[o + 4] !== 0 || b[o + 5] !== 0) return false;
  const t = u16be(b, o + 6);
  return t === EtherType.IPV4 || t === EtherType.IPV6 || isVlanTpid(t) || t === EtherType.PPPOE_SESSION || isOpaqueIpCarrier(t);
}

export function isVlanTpid(type: number): boolean {
  return type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_LEGACY;
}

export function ethernetType(b: Uint8Array, o: number): number {
  return u16be(b, o + ETHERNET_TYPE_OFFSET);
}

/** the VLAN identifier of a tag whose TCI starts at `o` */
export function vlanId(b: Uint8Array, o: number): number {
  return u16be(b, o) & VLAN_VID_MASK;
}
