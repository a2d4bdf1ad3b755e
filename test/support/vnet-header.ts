// A virtio_net_hdr as the kernel writes one in front of a frame (PACKET_VNET_HDR): 10 bytes, its
// 16-bit fields in the host's byte order. For tests that hand the bridge what the ring holds.
import { endianness } from 'node:os';

export interface VnetHeaderSpec {
  flags?: number;
  gsoType?: number;
  hdrLen?: number;
  gsoSize?: number;
  csumStart?: number;
  csumOffset?: number;
}

export function vnetHeaderBytes(spec: VnetHeaderSpec = {}): Buffer {
  const h = Buffer.alloc(10);
  h[0] = spec.flags ?? 0;
  h[1] = spec.gsoType ?? 0;
  const put = (value: number, at: number): number => (endianness() === 'LE' ? h.writeUInt16LE(value, at) : h.writeUInt16BE(value, at));
  put(spec.hdrLen ?? 0, 2);
  put(spec.gsoSize ?? 0, 4);
  put(spec.csumStart ?? 0, 6);
  put(spec.csumOffset ?? 0, 8);
  return h;
}
