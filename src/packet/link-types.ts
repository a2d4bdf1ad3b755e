// Link-layer header types as they appear in pcap and pcapng files
// (https://www.tcpdump.org/linktypes.html).

export const LinkType = {
  /** BSD loopback: 4-byte address family in the byte order of the capturing host */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as written by some platforms instead of LINKTYPE_RAW; libpcap maps both to 101 */
  DLT_RAW_12: 12,
  DLT_RAW_14: 14,
  RAW: 101,
  /** OpenBSD loopback: like NULL, but the address family is always big-endian */
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Link types `decodeFrame` understands; anything else decodes as UNSUPPORTED_LINK. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LinkType.NULL:
    case LinkType.ETHERNET:
    case LinkType.DLT_RAW_12:
    case LinkType.DLT_RAW_14:
    case LinkType.RAW:
    case LinkType.LOOP:
    case LinkType.LINUX_SLL:
    case LinkType.IPV4:
    case LinkType.IPV6:
    case LinkType.LINUX_SLL2:
      return true;
    default:
      return false;
  }
}
