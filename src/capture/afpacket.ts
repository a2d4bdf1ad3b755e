// The typed face of native-bindings/afpacket: one AF_PACKET socket bound to one interface, its
// frames read from a TPACKET_V3 ring on the event loop, one handler call per ring block (a batch).
// Zero copy: `batch.data` views the ring itself and `batch.meta` says where each frame is; both are
// valid only inside the handler call (the block goes back to the kernel when it returns), so a
// frame is judged, and forwarded with `sendBatch`, inside the call. By default only frames that came
// in on the interface are captured (PACKET_IGNORE_OUTGOING and the packet type): never what we
// inject. A receive-only socket (monitor mode) may ask for both directions, as libpcap captures.
// A bridge asks for vnet headers (PACKET_VNET_HDR): each frame in the ring comes after the
// virtio_net_hdr the kernel wrote for it (vnet-header.ts reads it), so an offloaded super-frame
// (TSO/GSO, GRO: up to 64 KB) or a frame whose checksum is left to complete arrives whole, and is
// sent on with that header in front: the kernel completes and segments it as it would have.
import { createRequire } from 'node:module';
import { release } from 'node:os';
import { LinkType } from '../packet/link-types.js';
import { CaptureError } from './capture-error.js';
import { missingAddon } from './missing-addon.js';

/** Fields of one frame in `batch.meta`, at `i * AFPACKET_META_STRIDE + field`. */
export const AfPacketMeta = {
  /** the frame's first byte (its Ethernet header) in `batch.data` */
  OFFSET: 0,
  /** bytes captured */
  LENGTH: 1,
  /** bytes on the wire (more than LENGTH when the ring could not hold the whole frame) */
  WIRE_LENGTH: 2,
  /** AfPacketFlag bits */
  FLAGS: 3,
} as const;
export const AFPACKET_META_STRIDE = 4;
/** The frames `sendBatch` sends: `[offset, length]` pairs in an Int32Array. */
export const AFPACKET_SEND_STRIDE = 2;
/** Bytes of the virtio_net_hdr in front of each frame of a socket with `vnetHeader` (ring and sends). */
export const AFPACKET_VNET_HEADER_LENGTH = 10;

export const AfPacketFlag = {
  /** not captured whole (or its VLAN tag could not be restored): forwarding it would send it cut */
  TRUNCATED: 1,
} as const;

export interface AfPacketOptions {
  /** bytes per ring block, a power of two from 4 KiB to 64 MiB (default 256 KiB) */
  blockSize?: number;
  /**
   * ring blocks (default 64: a 16 MiB ring, libpcap's default buffer). A 4 × 1 MiB ring lost TCP
   * frames whenever sgfw was off the CPU for ~8 ms (thousands of retransmits per iperf3 run on a
   * loaded machine); with 64 × 256 KiB, 0–3.
   */
  blockCount?: number;
  /**
   * ms after which the kernel hands over a block that is not full (default 1, the least it takes),
   * 1–1000. A frame that comes alone waits this long on each side of a bridge: 1 ms halves an idle
   * round trip through inline mode (2.4–3.4 ms at 2 ms, ~1.0 ms at 1) and cost no CPU per GB under
   * load (BENCHMARKS.md "what limits inline mode").
   */
  blockTimeoutMs?: number;
  /** promiscuous mode, as a socket membership dropped on close (default true) */
  promiscuous?: boolean;
  /**
   * also capture the frames leaving the interface (default false). Only for a socket that never
   * sends: a bridge would capture, and send round again, what it injects. On loopback each
   * outgoing frame comes back in, so there it still captures it once.
   */
  outgoing?: boolean;
  /**
   * A PACKET_FANOUT group to share the interface's frames with other sockets, each address pair
   * (both directions alike, its fragments, and an ICMP error quoting it) to one of them by the
   * addon's cBPF program: `'new'` starts a group of the socket's own (its id is `fanoutGroup`
   * after), a number joins that group. Absent: the socket takes every frame.
   */
  fanout?: 'new' | number;
  /**
   * PACKET_VNET_HDR (default false), for a bridge: the AFPACKET_VNET_HEADER_LENGTH bytes before each
   * frame in the ring are its virtio_net_hdr, and `sendBatch` sends each `[offset, length]` pair
   * as such a header followed by its frame (the ring's own, from `offset - 10`); `send` puts a
   * zeroed one (no offload) in front of the frame it is given. The socket's send buffer is raised
   * to 4 MiB: 64 KB frames in flight on a NIC would fill the default's ~208 KiB.
   */
  vnetHeader?: boolean;
}

/** Reused for every batch: valid only inside the handler call. */
export interface AfPacketBatch {
  count: number;
  readonly meta: Int32Array;
  /** the whole ring; frames are at the offsets in `meta` */
  readonly data: Buffer;
}

export type AfPacketBatchHandler = (batch: AfPacketBatch) => void;

export interface AfPacketStats {
  /** frames the kernel offered the socket (PACKET_STATISTICS tp_packets, drops included) */
  packets: number;
  /** frames the kernel dropped because the ring was full (tp_drops) */
  drops: number;
  /** times the ring froze full (tp_freeze_q_cnt) */
  freezes: number;
  /** handler calls */
  batches: number;
  /** frames handed to the handler */
  frames: number;
  /** frames in the ring that were not incoming (outgoing, looped back) and were not handed over */
  skipped: number;
  sent: number;
  /** frames `send`/`sendBatch` could not send (refused by the kernel, or out of bounds) */
  sendErrors: number;
  /** the errno name of the last refused send, null when none was */
  lastSendError: string | null;
}

interface NativeSocket {
  start(): void;
  close(): void;
  stats(): [number, number, number, number, number, number, number, number, string];
  ring(): ArrayBuffer | null;
  info(): { ifindex: number; hwType: number; ignoresOutgoing: boolean; fanoutGroup: number; vnetHeader: boolean; sendBuffer: number };
  send(data: Uint8Array, offset: number, length: number): boolean;
  sendBatch(data: Uint8Array, frames: Int32Array, count: number): number;
}
interface NativeModule {
  Socket: new (
    device: string,
    blockSize: number,
    blockCount: number,
    blockTimeoutMs: number,
    promiscuous: boolean,
    meta: ArrayBuffer,
    onBatch: (count: number) => void,
    outgoing: boolean,
    fanout: number,
    vnetHeader: boolean,
  ) => NativeSocket;
  META_STRIDE: number;
  SEND_STRIDE: number;
  /** absent from builds before vnet headers */
  VNET_HEADER_LENGTH?: number;
}

/** Where node-gyp puts the addon, from src/capture/ and dist/capture/ alike. */
export const AFPACKET_ADDON = new URL('../../native-bindings/afpacket/build/Release/afpacket.node', import.meta.url);

let native: NativeModule | null = null;

function loadNative(device: string): NativeModule {
  if (native) return native;
  try {
    native = createRequire(import.meta.url)(AFPACKET_ADDON.pathname) as NativeModule;
  } catch (e) {
    throw missingAddon('--capture afpacket (inline and monitor modes)', 'AF_PACKET', AFPACKET_ADDON.pathname, ['g++', 'make', 'python3'], e);
  }
  if (native.META_STRIDE !== AFPACKET_META_STRIDE || native.SEND_STRIDE !== AFPACKET_SEND_STRIDE || native.VNET_HEADER_LENGTH !== AFPACKET_VNET_HEADER_LENGTH) {
    const found = native;
    native = null;
    throw new CaptureError(device, `AF_PACKET binding strides ${found.META_STRIDE}/${found.SEND_STRIDE}, vnet header ${found.VNET_HEADER_LENGTH ?? 'none'}, expected ${AFPACKET_META_STRIDE}/${AFPACKET_SEND_STRIDE}, ${AFPACKET_VNET_HEADER_LENGTH}: rebuild it (scripts/build-native.sh)`);
  }
  return native;
}

/** Whether the addon is built and loads (it opens no socket). */
export function afpacketAvailable(): boolean {
  try {
    loadNative('');
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether this kernel puts vnet headers in a TPACKET_V3 ring whole: Linux 5.6 and later. The ring
 * got them with commit 58d19b19cd99 ("packet: vnet_hdr support for tpacket_rcv"); until 5.6 a frame
 * whose offload the header cannot express (a tunnel's GSO) stalled a V3 ring ("tpacket_rcv: do not
 * increment ring index on drop", March 2020). `kernel`: a `uname -r` string (default this one's).
 */
export function ringVnetHeaders(kernel: string = release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return false;
  const major = Number(m[1]);
  return major > 5 || (major === 5 && Number(m[2]) >= 6);
}

/** ARPHRD_* (linux/if_arp.h) to the pcap link type the frames carry. */
const LINK_TYPES: Record<number, number> = {
  1: LinkType.ETHERNET, // ARPHRD_ETHER
  772: LinkType.ETHERNET, // ARPHRD_LOOPBACK: Ethernet headers with zero addresses
  0xfffe: LinkType.RAW, // ARPHRD_NONE (tun): raw IP
};

/** The binding's fanout argument for "a group of our own" (-1: none, 0-65535: join that one). */
const NEW_FANOUT_GROUP = 65536;

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

export class AfPacketSocket {
  /** the pcap link type (LinkType) of the interface's frames */
  readonly linkType: number;
  readonly ifindex: number;
  /** whether the kernel filters outgoing frames (PACKET_IGNORE_OUTGOING, Linux ≥ 4.20); else they are skipped here (false with `outgoing`) */
  readonly ignoresOutgoing: boolean;
  /** the PACKET_FANOUT group the socket is in (another socket joins it with `fanout: id`); null when none */
  readonly fanoutGroup: number | null;
  /** whether each frame comes, and each sent pair goes, with its virtio_net_hdr in front (AfPacketOptions.vnetHeader) */
  readonly vnetHeader: boolean;
  /** the socket's send buffer in bytes, as the kernel reports it (twice what was set: its bookkeeping share) */
  readonly sendBuffer: number;
  private readonly socket: NativeSocket;
  private closed = false;

  /**
   * Binds `device` (needs CAP_NET_RAW) and starts reading: `onBatch` is called from the next turn
   * of the event loop on. Throws CaptureError naming the device (code EPERM without the
   * capability, ENODEV for a missing interface).
   */
  constructor(
    readonly device: string,
    onBatch: AfPacketBatchHandler,
    options: AfPacketOptions = {},
  ) {
    const { blockSize = 1 << 18, blockCount = 64, blockTimeoutMs = 1, promiscuous = true, outgoing = false, fanout, vnetHeader = false } = options;
    if (!isPowerOfTwo(blockSize) || blockSize < 4096 || blockSize > 64 << 20) {
      throw new CaptureError(device, `ring block size ${blockSize} is not a power of two from 4096 to 64 MiB`);
    }
    if (!Number.isInteger(blockCount) || blockCount < 1 || blockCount * blockSize > 1 << 30) {
      throw new CaptureError(device, `ring block count ${blockCount} is not 1 or more, up to a 1 GiB ring`);
    }
    if (!Number.isInteger(blockTimeoutMs) || blockTimeoutMs < 1 || blockTimeoutMs > 1000) {
      throw new CaptureError(device, `ring block timeout ${blockTimeoutMs} ms is not 1–1000`);
    }
    if (fanout !== undefined && fanout !== 'new' && !(Number.isInteger(fanout) && fanout >= 0 && fanout <= 0xffff)) {
      throw new CaptureError(device, `fanout group ${fanout} is not 'new' or 0-65535`);
    }
    const mod = loadNative(device);
    // A frame takes at least 80 bytes of a block (its header and sockaddr_ll): room for a full block.
    const meta = new ArrayBuffer(Math.ceil(blockSize / 64) * AFPACKET_META_STRIDE * 4);
    const batch = { count: 0, meta: new Int32Array(meta), data: Buffer.alloc(0) };
    try {
      this.socket = new mod.Socket(device, blockSize, blockCount, blockTimeoutMs, promiscuous, meta, (count) => {
        batch.count = count;
        onBatch(batch);
      }, outgoing, fanout === undefined ? -1 : fanout === 'new' ? NEW_FANOUT_GROUP : fanout, vnetHeader);
    } catch (e) {
      const err = e as Error & { code?: string };
      const hint = err.code === 'EPERM' ? ' (needs root or CAP_NET_RAW)' : err.code === 'ENODEV' ? ' (no such interface)' : '';
      throw Object.assign(new CaptureError(device, `cannot capture: ${err.message}${hint}`), { code: err.code });
    }
    const info = this.socket.info();
    const linkType = LINK_TYPES[info.hwType];
    if (linkType === undefined) {
      this.socket.close();
      throw new CaptureError(device, `unsupported link type: ARPHRD ${info.hwType}`);
    }
    this.linkType = linkType;
    this.ifindex = info.ifindex;
    this.ignoresOutgoing = info.ignoresOutgoing;
    this.fanoutGroup = info.fanoutGroup < 0 ? null : info.fanoutGroup;
    this.vnetHeader = info.vnetHeader;
    this.sendBuffer = info.sendBuffer;
    batch.data = Buffer.from(this.socket.ring()!);
    this.socket.start();
  }

  /** Sends `length` bytes of `frame` from `offset` out of the interface. False (and counted) when the kernel refuses. */
  send(frame: Uint8Array, length: number, offset = 0): boolean {
    return this.socket.send(frame, offset, length);
  }

  /**
   * Sends `count` frames of `data`, given as `[offset, length]` pairs in `frames`, in one sendmmsg
   * call per 256: returns how many the kernel took. The others are counted in stats(), not thrown.
   * With `vnetHeader`, each pair covers the frame's virtio_net_hdr and then the frame.
   */
  sendBatch(data: Uint8Array, frames: Int32Array, count: number): number {
    return this.socket.sendBatch(data, frames, count);
  }

  /** Kernel and binding counters; the kernel's keep counting after close() only up to the close. */
  stats(): AfPacketStats {
    const [packets, drops, freezes, batches, frames, skipped, sent, sendErrors, lastSendError] = this.socket.stats();
    return { packets, drops, freezes, batches, frames, skipped, sent, sendErrors, lastSendError: lastSendError || null };
  }

  /** Unbinds, unmaps the ring and closes the socket; again is a no-op. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
