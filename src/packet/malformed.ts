// Why a frame is malformed. The list is fixed and ordered: `PacketView.malformedReason` is an index
// into it, so counters can be a typed array indexed by reason.

export const Malformed = {
  /** the link-layer header (Ethernet, VLAN tag, SLL, SLL2, loopback) is cut short */
  TRUNCATED_LINK: 0,
  /** the IP version nibble does not match the ethertype, address family or link type */
  BAD_IP_VERSION: 1,
  /** fewer than 20 bytes where an IPv4 header should be */
  TRUNCATED_IPV4: 2,
  /** IHL below 5, or the header (with options) runs past the frame */
  BAD_IPV4_IHL: 3,
  /** total length smaller than the header length */
  BAD_IPV4_LENGTH: 4,
  /** total length says the packet is longer than the captured frame */
  IPV4_LENGTH_PAST_FRAME: 5,
  /** fewer than 40 bytes where an IPv6 header should be */
  TRUNCATED_IPV6: 6,
  /** payload length says the packet is longer than the captured frame */
  IPV6_LENGTH_PAST_FRAME: 7,
  /** an extension header runs past the packet, or hop-by-hop options is not first (RFC 8200 §4.1) */
  BAD_IPV6_EXT: 8,
  /** a fragment would end past 65535 bytes of reassembled datagram (RFC 791, RFC 8200 §4.5) */
  BAD_FRAGMENT: 9,
  /** fewer than 20 bytes of TCP header */
  SHORT_TCP_HEADER: 10,
  /** TCP data offset below 5 words or past the end of the packet */
  BAD_TCP_OFFSET: 11,
  /** fewer than 8 bytes of UDP header */
  TRUNCATED_UDP: 12,
  /** UDP length below 8 or past the end of the IP packet */
  BAD_UDP_LENGTH: 13,
  /** fewer than 8 bytes of ICMP header */
  TRUNCATED_ICMP: 14,
  /** fewer than 4 bytes of ICMPv6 header, or 8 for echo and error messages */
  TRUNCATED_ICMPV6: 15,
} as const;

export const MALFORMED_REASONS: readonly string[] = [
  'truncated-link',
  'bad-ip-version',
  'truncated-ipv4',
  'bad-ipv4-ihl',
  'bad-ipv4-length',
  'ipv4-length-past-frame',
  'truncated-ipv6',
  'ipv6-length-past-frame',
  'bad-ipv6-ext',
  'bad-fragment',
  'short-tcp-header',
  'bad-tcp-offset',
  'truncated-udp',
  'bad-udp-length',
  'truncated-icmp',
  'truncated-icmpv6',
];
