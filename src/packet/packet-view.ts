// The result of decoding one frame: one preallocated object, refilled for every frame, so the
// hot path allocates nothing. Addresses are numbers: IPv4 in src[0]/dst[0] (host byte order,
// unsigned), IPv6 as four 32-bit words, most significant first.

/** What the decoder concluded about the frame. */
export const DecodeStatus = {
  OK: 0,
  /** ARP, LLDP, other ethertypes: not judged by security groups. */
  NOT_IP: 1,
  /** a header is truncated or inconsistent; `malformedReason` says which. */
  MALFORMED: 2,
  /**
   * the capture's link type is not one the decoder knows, or the frame wraps what may be IP in a form
   * it does not unwrap (MPLS, MAC-in-MAC, NSH, MACsec, LLC/SNAP IP, PPP's compressed, encrypted or multilink
   * datagrams): dropped, never passed as not IP.
   */
  UNSUPPORTED_LINK: 3,
} as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/**
 * The header quoted inside an ICMP/ICMPv6 error message (RFC 792 / RFC 4443). Its fields are
 * meaningful only while `valid`: decoding a frame clears `valid` alone, and an error clears the
 * rest before it reads its quote.
 */
export class QuotedHeader {
  valid = false;
  ipVersion = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  /** echo identifier when the quoted packet is an ICMP echo */
  icmpType = 0;
  icmpId = 0;

  /** Back to no quote, every field zero: an error calls it before reading its quote. */
  clear(): void {
    this.valid = false;
    this.ipVersion = 0;
    const s = this.src;
    const d = this.dst;
    s[0] = s[1] = s[2] = s[3] = 0;
    d[0] = d[1] = d[2] = d[3] = 0;
    this.protocol = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.icmpType = 0;
    this.icmpId = 0;
  }
}

export class PacketView {
  status: DecodeStatus = DecodeStatus.OK;
  /** index into MALFORMED_REASONS when status is MALFORMED */
  malformedReason = 0;

  /** 4 or 6 when status is OK */
  ipVersion = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** upper-layer protocol after IPv6 extension headers */
  protocol = 0;
  /** bytes of the IP packet as its header says (total length / payload + 40) */
  ipLength = 0;
  /**
   * The capture kept fewer bytes than the wire carried (snap length): lengths past the captured
   * bytes are then the capture's doing, not the packet's, and are not malformed.
   */
  captureCut = false;
  /** offset of the IP header and of the upper-layer header inside the frame */
  ipOffset = 0;
  l4Offset = 0;

  /** fragments: `isFragment` for any fragment; `fragmentOffset` in bytes; first fragment has offset 0 */
  isFragment = false;
  fragmentOffset = 0;
  moreFragments = false;
  fragmentId = 0;

  /** 802.1Q/802.1ad tags seen before the IP header (0: untagged); `vlanId` is the innermost VID */
  vlanCount = 0;
  vlanId = 0;

  /** TCP/UDP ports; 0 when the packet has none (or is a non-first fragment) */
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;

  /** ICMP/ICMPv6 */
  icmpType = 0;
  icmpCode = 0;
  /** echo request/reply identifier */
  icmpId = 0;
  /** set for ICMP errors (destination unreachable, time exceeded, …) with a decodable quote */
  readonly quoted = new QuotedHeader();
}
