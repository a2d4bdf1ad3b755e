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
} as const;

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
