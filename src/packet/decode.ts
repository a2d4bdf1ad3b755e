// decodeFrame: one frame, any supported link type, into the preallocated PacketView. Nothing is
// allocated and nothing is thrown for any input: a bad header ends in MALFORMED with its reason.
import { u16be } from './byte-order.js';
import { ETHERNET_HEADER_LENGTH, EtherType, ethernetType, isOpaqueIpCarrier, isSnapIp, isVlanTpid, MAX_8023_LENGTH, VLAN_TAG_LENGTH, vlanId } from './ethernet.js';
import { parseIcmp } from './icmp.js';
import { parseIcmpv6 } from './icmpv6.js';
import { parseIpv4 } from './ipv4.js';
import { parseIpv6 } from './ipv6.js';
import { LinkType } from './link-types.js';
import { SLL2_HEADER_LENGTH, SLL_HEADER_LENGTH, sll2Protocol, sllProtocol } from './linux-sll.js';
import { LOOPBACK_HEADER_LENGTH, loopHeaderVersion, nullHeaderVersion } from './loopback.js';
import { Malformed } from './malformed.js';
import { isOpaquePppProtocol, PPPOE_HEADER_LENGTH, PppProtocol, pppProtocol, pppProtocolLength } from './pppoe.js';
import { DecodeStatus, IpProto, type PacketView } from './packet-view.js';
import { parseTcp } from './tcp.js';
import { parseUdp } from './udp.js';

/**
 * Decodes `frame[offset, offset + length)` captured with `linkType` (a pcap LINKTYPE_ value) into
 * `out`, and returns `out.status`. `out` is overwritten entirely; it stays valid until the next call.
 * `wireLength` is the frame's length on the wire when the capture cut it (pcap's orig_len): IP
 * lengths may then reach past the captured bytes, but every header the verdict reads must be there.
 */
export function decodeFrame(
  linkType: number,
  frame: Uint8Array,
  offset: number,
  length: number,
  out: PacketView,
  wireLength = length,
): DecodeStatus {
  reset(out);
  out.captureCut = wireLength > length;
  if (!(offset >= 0 && length >= 0 && offset <= frame.length)) return malformed(out, Malformed.TRUNCATED_LINK);
  const end = offset + length > frame.length ? frame.length : offset + length;
  const b = frame;
  switch (linkType) {
    case LinkType.ETHERNET:
      if (end - offset < ETHERNET_HEADER_LENGTH) return malformed(out, Malformed.TRUNCATED_LINK);
      return byEtherType(ethernetType(b, offset), b, offset + ETHERNET_HEADER_LENGTH, end, out);
    case LinkType.LINUX_SLL:
      if (end - offset < SLL_HEADER_LENGTH) return malformed(out, Malformed.TRUNCATED_LINK);
      return byEtherType(sllProtocol(b, offset), b, offset + SLL_HEADER_LENGTH, end, out);
    case LinkType.LINUX_SLL2:
      if (end - offset < SLL2_HEADER_LENGTH) return malformed(out, Malformed.TRUNCATED_LINK);
      return byEtherType(sll2Protocol(b, offset), b, offset + SLL2_HEADER_LENGTH, end, out);
    case LinkType.RAW:
    case LinkType.DLT_RAW_12:
    case LinkType.DLT_RAW_14:
      // Raw IP: the version nibble is the only type field there is.
      if (end - offset < 1) return malformed(out, Malformed.TRUNCATED_LINK);
      return byVersion(b[offset] >> 4, b, offset, end, out);
    case LinkType.IPV4:
      return byVersion(4, b, offset, end, out);
    case LinkType.IPV6:
      return byVersion(6, b, offset, end, out);
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (end - offset < LOOPBACK_HEADER_LENGTH) return malformed(out, Malformed.TRUNCATED_LINK);
      const version = linkType === LinkType.NULL ? nullHeaderVersion(b, offset) : loopHeaderVersion(b, offset);
      if (version === 0) return notIp(out);
      return byVersion(version, b, offset + LOOPBACK_HEADER_LENGTH, end, out);
    }
    default:
      return unsupported(out);
  }
}

function reset(v: PacketView): void {
  v.status = DecodeStatus.OK;
  v.malformedReason = 0;
  v.ipVersion = 0;
  v.src[0] = v.src[1] = v.src[2] = v.src[3] = 0;
  v.dst[0] = v.dst[1] = v.dst[2] = v.dst[3] = 0;
  v.protocol = 0;
  v.ipLength = 0;
  v.ipOffset = 0;
  v.l4Offset = 0;
  v.isFragment = false;
  v.fragmentOffset = 0;
  v.moreFragments = false;
  v.fragmentId = 0;
  v.vlanCount = 0;
  v.vlanId = 0;
  v.srcPort = 0;
  v.dstPort = 0;
  v.tcpFlags = 0;
  v.icmpType = 0;
  v.icmpCode = 0;
  v.icmpId = 0;
  // The quote's fields are read only while it is valid; an error's quote clears them before it
  // fills them (QuotedHeader.clear), so the frames that quote nothing (nearly all) write one field.
  v.quoted.valid = false;
}

function malformed(v: PacketView, reason: number): DecodeStatus {
  v.status = DecodeStatus.MALFORMED;
  v.malformedReason = reason;
  return DecodeStatus.MALFORMED;
}

function notIp(v: PacketView): DecodeStatus {
  v.status = DecodeStatus.NOT_IP;
  return DecodeStatus.NOT_IP;
}

function byEtherType(type: number, b: Uint8Array, o: number, end: number, v: PacketView): DecodeStatus {
  // 802.1Q inside 802.1ad (QinQ), any depth: each tag is 4 bytes ending in the next ethertype.
  while (isVlanTpid(type)) {
    if (end - o < VLAN_TAG_LENGTH) return malformed(v, Malformed.TRUNCATED_LINK);
    v.vlanCount++;
    v.vlanId = vlanId(b, o);
    type = u16be(b, o + 2);
    o += VLAN_TAG_LENGTH;
  }
  if (type === EtherType.IPV4) return byVersion(4, b, o, end, v);
  if (type === EtherType.IPV6) return byVersion(6, b, o, end, v);
  // (after IP: an IP frame pays nothing for what follows)
  if (type === EtherType.PPPOE_SESSION) return byPppoe(b, o, end, v);
  // IP the decoder does not unwrap must not pass as not IP: dropped as an unsupported link layer
  if (isOpaqueIpCarrier(type) || (type <= MAX_8023_LENGTH && isSnapIp(b, o, end))) return unsupported(v);
  return notIp(v);
}

/** A PPPoE session frame: its IPv4 or IPv6 judged as any; PPP's control protocols not IP; opaque IP carriers unsupported. */
function byPppoe(b: Uint8Array, o: number, end: number, v: PacketView): DecodeStatus {
  if (end - o < PPPOE_HEADER_LENGTH) return malformed(v, Malformed.TRUNCATED_LINK);
  o += PPPOE_HEADER_LENGTH;
  const protocol = pppProtocol(b, o, end);
  if (protocol < 0) return malformed(v, Malformed.TRUNCATED_LINK);
  o += pppProtocolLength(b, o);
  if (protocol === PppProtocol.IPV4) return byVersion(4, b, o, end, v);
  if (protocol === PppProtocol.IPV6) return byVersion(6, b, o, end, v);
  if (isOpaquePppProtocol(protocol)) return unsupported(v);
  return notIp(v);
}

function unsupported(v: PacketView): DecodeStatus {
  v.status = DecodeStatus.UNSUPPORTED_LINK;
  return DecodeStatus.UNSUPPORTED_LINK;
}

function byVersion(version: number, b: Uint8Array, o: number, end: number, v: PacketView): DecodeStatus {
  let upper: number;
  if (version === 4) upper = parseIpv4(b, o, end, v);
  else if (version === 6) upper = parseIpv6(b, o, end, v);
  else return malformed(v, Malformed.BAD_IP_VERSION);
  if (upper < 0) return malformed(v, ~upper);
  v.l4Offset = upper;
  // A later fragment carries no upper-layer header: it is judged by its first fragment.
  if (v.fragmentOffset !== 0) return DecodeStatus.OK;
  const ipEnd = v.ipOffset + v.ipLength > end ? end : v.ipOffset + v.ipLength;
  const p = v.protocol;
  let r = 0;
  if (p === IpProto.TCP) r = parseTcp(b, upper, ipEnd, v);
  else if (p === IpProto.UDP) r = parseUdp(b, upper, ipEnd, v);
  else if (p === IpProto.ICMP && version === 4) r = parseIcmp(b, upper, ipEnd, v);
  else if (p === IpProto.ICMPV6 && version === 6) r = parseIcmpv6(b, upper, ipEnd, v);
  if (r < 0) return malformed(v, ~r);
  return DecodeStatus.OK;
}
