// The virtio_net_hdr (linux/virtio_net.h) that an AF_PACKET socket with PACKET_VNET_HDR puts in
// front of each frame it receives and expects in front of each frame it sends: whether the frame is
// an offloaded super-frame (TSO/GSO on the sender, GRO on the receiver: one frame of up to 64 KB
// standing for many wire-sized segments) and where a checksum left to the device is to go. Ten
// bytes, its 16-bit fields in the host's byte order (the kernel's "legacy" virtio layout for packet
// sockets). A bridge sends the header on unchanged, so the kernel segments and completes the frame
// as it would have done itself; this module only reads it, for the counters.
import { AFPACKET_VNET_HEADER_LENGTH } from './afpacket.js';

/** Field offsets in the header. */
export const VnetField = {
  FLAGS: 0,
  GSO_TYPE: 1,
  /** the headers' length, a hint (the kernel's linear part) */
  HDR_LEN: 2,
  /** payload bytes per segment */
  GSO_SIZE: 4,
  /** with NEEDS_CSUM: where the checksummed part (the transport header) starts, from the frame's first byte */
  CSUM_START: 6,
  CSUM_OFFSET: 8,
} as const;

/** VIRTIO_NET_HDR_F_*: the checksum is to be completed by whoever sends the frame on. */
export const VNET_NEEDS_CSUM = 1;

/** VIRTIO_NET_HDR_GSO_* (gso_type, the ECN bit aside). */
export const VnetGso = {
  NONE: 0,
  TCPV4: 1,
  /** UFO: a UDP datagram to send as IP fragments */
  UDP: 3,
  TCPV6: 4,
  /** USO: UDP segmentation, each segment its own datagram */
  UDP_L4: 5,
  ECN: 0x80,
} as const;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function u16host(b: Uint8Array, o: number): number {
  return HOST_LITTLE_ENDIAN ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

/** Where the header of the frame at `frameOffset` starts. */
export function vnetHeaderAt(frameOffset: number): number {
  return frameOffset - AFPACKET_VNET_HEADER_LENGTH;
}

/** Whether the header at `at` marks its frame as an offloaded super-frame (any GSO type). */
export function isOffloaded(b: Uint8Array, at: number): boolean {
  return (b[at + VnetField.GSO_TYPE]! & ~VnetGso.ECN) !== VnetGso.NONE;
}

/**
 * How many wire frames the frame `b[frameOffset, frameOffset + length)` with its header at `at`
 * stands for: 1 without segmentation offload; otherwise its payload over gso_size, rounded up. The
 * headers end at the transport header (csum_start, with NEEDS_CSUM, which the kernel sets on every
 * offloaded frame) plus its length (TCP's data offset; UDP's 8 bytes), or else at hdr_len. Never
 * less than 1, whatever the header says.
 */
export function vnetSegments(b: Uint8Array, at: number, frameOffset: number, length: number): number {
  const type = b[at + VnetField.GSO_TYPE]! & ~VnetGso.ECN;
  const gsoSize = u16host(b, at + VnetField.GSO_SIZE);
  if (type === VnetGso.NONE || gsoSize === 0) return 1;
  let headers: number;
  if ((b[at + VnetField.FLAGS]! & VNET_NEEDS_CSUM) !== 0) {
    const l4 = u16host(b, at + VnetField.CSUM_START);
    headers = type === VnetGso.TCPV4 || type === VnetGso.TCPV6 ? l4 + ((b[frameOffset + l4 + 12]! >> 4) << 2) : l4 + 8;
  } else {
    headers = u16host(b, at + VnetField.HDR_LEN);
  }
  const payload = length - headers;
  return payload > gsoSize ? Math.ceil(payload / gsoSize) : 1;
}
