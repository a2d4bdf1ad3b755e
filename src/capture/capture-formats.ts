// File-format constants of classic pcap (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng).

/** magic numbers as read big-endian from the first four bytes */
export const PcapMagic = {
  MICROS: 0xa1b2c3d4,
  MICROS_SWAPPED: 0xd4c3b2a1,
  NANOS: 0xa1b23c4d,
  NANOS_SWAPPED: 0x4d3cb2a1,
  /** Alexey Kuznetsov's patched libpcap: 8 more bytes per record header (ifindex, protocol, type) */
  KUZNETSOV: 0xa1b2cd34,
  KUZNETSOV_SWAPPED: 0x34cdb2a1,
} as const;

export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const PCAP_KUZNETSOV_RECORD_HEADER_LENGTH = 24;
/** the link type field's upper bits carry FCS information; the low 26 bits are the type */
export const PCAP_LINK_TYPE_MASK = 0x03ffffff;

export const PcapngBlock = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  /** obsolete Packet Block, still written by old tools */
  PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  ENHANCED_PACKET: 0x00000006,
} as const;

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_OPTION_END = 0;
export const PCAPNG_IF_TSRESOL = 9;
/** smallest block: type, length, trailing length */
export const PCAPNG_MIN_BLOCK_LENGTH = 12;

/**
 * Largest captured length accepted per record: libpcap's MAXIMUM_SNAPLEN and Wireshark's
 * WTAP_MAX_PACKET_SIZE_STANDARD. A bigger length is a corrupt file, not a packet, and must not
 * make the reader allocate or read without bound.
 */
export const MAX_CAPLEN = 262144;
