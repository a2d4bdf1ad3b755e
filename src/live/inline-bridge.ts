// Inline mode's engine: a bump in the wire between an inside and an outside interface. Every frame
// captured on one side is judged by the Dataplane and, when allowed, injected out of the other side.
// The Dataplane finds the managed interfaces by address (the state's ENI addresses are the hosts
// behind the bridge), so which side a frame came from does not change its verdict.
//
// What passes without a rule: frames the model does not judge — ARP and every other non-IP
// EtherType (Reason.NOT_IP) — and IPv6 neighbour discovery (Reason.NEIGHBOUR_DISCOVERY, decided by the Dataplane: router/neighbour solicitation and
// advertisement, redirect: ICMPv6 133–137 with hop limit 255, RFC 4861 §6.1/§7.1), which on AWS the
// VPC answers below the security groups; without it no IPv6 host behind the bridge could resolve a
// neighbour. Malformed IP is dropped (fail closed), and so is a frame longer than the capture buffer,
// which could only be forwarded cut.
//
// Offloads: with `vnetHeaders` (the AF_PACKET sockets' PACKET_VNET_HDR) each frame in a batch comes
// after its virtio_net_hdr, and goes out with it unchanged. A TCP super-frame of up to 64 KB (TSO/GSO
// from the sender, GRO on the way in) is judged once by its headers, as the kernel's own conntrack
// judges it, and forwarded whole: the kernel on the way out segments it, or hands it to a device
// that does, and completes a checksum the header says is left to complete (the decoder checks no
// checksums, so a partial one is no matter). Counted apart: how many such frames, and the wire
// segments they stand for.
//
// Two ways in, with one verdict per frame either way: `onFrame` (libpcap through `cap`: one call
// per frame, one send per allowed frame) and `onBatch` (the AF_PACKET ring: one call per ring
// block, the allowed frames of it sent out of the other side in one `sendBatch`, straight from the
// ring).
import { AFPACKET_META_STRIDE, AFPACKET_VNET_HEADER_LENGTH, AfPacketFlag, AfPacketMeta } from '../capture/afpacket.js';
import { isOffloaded, vnetHeaderAt, vnetSegments } from '../capture/vnet-header.js';
import { type Dataplane, JUDGE_BATCH } from '../dataplane/dataplane.js';
import { isAllowed, Reason } from '../dataplane/verdict.js';
import { SideCounters } from './bridge-sides.js';
import { type VerdictCounts, VerdictDuties, type VerdictDutiesOptions } from './verdict-duties.js';

/** Where a frame came in; the index into the per-side counters. */
export const Side = { INSIDE: 0, OUTSIDE: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];
export const SIDE_NAMES: readonly string[] = ['inside', 'outside'];

/** One side of the wire: what the bridge needs of a capture to inject. */
export interface FramePort {
  /** Sends `length` bytes of `frame`; refused by the kernel: throws, or returns false. */
  send(frame: Buffer, length: number): boolean | void;
  /**
   * Sends `count` frames of `data` given as `[offset, length]` pairs in `frames` (stride 2) and
   * returns how many the kernel took. Without it, a batch is sent frame by frame.
   */
  sendBatch?(data: Uint8Array, frames: Int32Array, count: number): number;
}

/** The verdict duties' sinks (verdict lines, sampled drop lines, flow records: none by default), and the clock. */
export interface InlineBridgeOptions extends Omit<VerdictDutiesOptions, 'dropMessage'> {
  /** milliseconds, monotonic: a wall-clock step must not age or revive tracked flows */
  clock?: () => number;
  /**
   * Each frame of a batch has its virtio_net_hdr in front (AfPacketOptions.vnetHeader, on the
   * sockets of both sides) and is sent on with it: the `[offset, length]` pairs given to
   * `sendBatch` start at the header. Default false.
   */
  vnetHeaders?: boolean;
}

/** One object for every refused batch send: overload must not allocate an Error per batch. */
const BATCH_REFUSED = new Error('sendBatch: the kernel refused frames (the capture stats count them, with the last errno)');

/** The per-side counters (SideCounters: received, forwarded, dropped, …) and the rest of the bridge. */
export class InlineBridge extends SideCounters {
  frames = 0;
  /** the wire-sized segments the offloaded super-frames stand for (vnet headers only) */
  readonly offloadedSegments = new Float64Array(2);
  lastError: Error | null = null;
  /** counters, verdict lines, flow records and sampled drop lines of every judged frame */
  readonly duties: VerdictDuties;

  /** Bound once, so each capture calls the same function for every frame. */
  readonly onInside = (frame: Buffer, length: number, truncated: boolean): void => this.onFrame(Side.INSIDE, frame, length, truncated);
  readonly onOutside = (frame: Buffer, length: number, truncated: boolean): void => this.onFrame(Side.OUTSIDE, frame, length, truncated);
  /** Bound once, for the batch sources: `meta` in the AF_PACKET layout (AfPacketMeta), frames in `data`. */
  readonly onInsideBatch = (data: Buffer, meta: Int32Array, count: number): void => this.onBatch(Side.INSIDE, data, meta, count);
  readonly onOutsideBatch = (data: Buffer, meta: Int32Array, count: number): void => this.onBatch(Side.OUTSIDE, data, meta, count);

  private readonly ports: (FramePort | null)[] = [null, null];
  private readonly clock: () => number;
  /** bytes in front of each batch frame that go out with it: the vnet header, or none */
  private readonly headroom: number;
  /** per side a batch came in on: the `[offset, length]` pairs of its allowed frames; grown rarely */
  private readonly outFrames: Int32Array[] = [new Int32Array(512), new Int32Array(512)];

  constructor(
    private readonly dataplane: Dataplane,
    /** the pcap link type both sides capture (Ethernet for a bridge) */
    private readonly linkType: number,
    options: InlineBridgeOptions = {},
  ) {
    super();
    this.clock = options.clock ?? performance.now.bind(performance);
    this.headroom = options.vnetHeaders === true ? AFPACKET_VNET_HEADER_LENGTH : 0;
    this.duties = new VerdictDuties(dataplane, { verdicts: options.verdicts, drops: options.drops, flows: options.flows, dropMessage: 'frame dropped' });
  }

  /** by managed interface and reason, for host-metrics.ts's families */
  get counters(): VerdictCounts {
    return this.duties;
  }

  /** The two sides to inject into; frames that come before are dropped (nowhere to go). */
  attach(inside: FramePort, outside: FramePort): void {
    this.ports[Side.INSIDE] = inside;
    this.ports[Side.OUTSIDE] = outside;
  }

  /** Forget the sides: frames still delivered after a capture closed are dropped, not sent to it. */
  detach(): void {
    this.ports[Side.INSIDE] = null;
    this.ports[Side.OUTSIDE] = null;
  }

  /** Judges one captured frame and forwards it if allowed. Never throws: a failure drops the frame. */
  onFrame(side: Side, frame: Buffer, length: number, truncated: boolean): void {
    this.frames++;
    this.received[side]++;
    try {
      // The time goes through the Dataplane's clock, not as a double argument (see Dataplane.clock).
      this.dataplane.clock[0] = this.clock();
      if (this.judgeFrame(side, frame, -1, length, truncated)) this.sendOne(side, frame, length);
    } catch (e) {
      this.fail(side, e);
    }
  }

  /**
   * Judges a batch of frames that came in on `side` (one clock reading for all: they left the
   * kernel together) and sends the allowed ones out of the other side in one `sendBatch`, in
   * order. `data` and `meta` are valid only during the call. Never throws.
   */
  onBatch(side: Side, data: Buffer, meta: Int32Array, count: number): void {
    let out = this.outFrames[side]!;
    if (out.length < count * 2) out = this.outFrames[side] = new Int32Array(count * 2);
    let n = 0;
    try {
      this.dataplane.clock[0] = this.clock();
    } catch (e) {
      // No time, no verdict: the whole batch is dropped.
      for (let i = 0; i < count; i++) {
        this.frames++;
        this.received[side]++;
        this.fail(side, e);
      }
      return;
    }
    const dp = this.dataplane;
    const headroom = this.headroom;
    // In groups of JUDGE_BATCH: staged (decoded, conntrack records read together), then judged in order.
    for (let first = 0; first < count; first += JUDGE_BATCH) {
      const group = count - first < JUDGE_BATCH ? count - first : JUDGE_BATCH;
      dp.stageBatch(this.linkType, data, meta, first, group, AFPACKET_META_STRIDE, AfPacketMeta.OFFSET, AfPacketMeta.LENGTH);
      for (let j = 0; j < group; j++) {
        const m = (first + j) * AFPACKET_META_STRIDE;
        const offset = meta[m + AfPacketMeta.OFFSET]!;
        const length = meta[m + AfPacketMeta.LENGTH]!;
        this.frames++;
        this.received[side]++;
        if (headroom !== 0) this.countOffload(side, data, offset, length);
        try {
          if (this.judgeFrame(side, data, j, length, (meta[m + AfPacketMeta.FLAGS]! & AfPacketFlag.TRUNCATED) !== 0)) {
            out[n * 2] = offset - headroom;
            out[n * 2 + 1] = length + headroom;
            n++;
          }
        } catch (e) {
          this.fail(side, e);
        }
      }
    }
    if (n > 0) this.sendMany(side, data, out, n);
  }

  private countOffload(side: Side, data: Buffer, offset: number, length: number): void {
    const at = vnetHeaderAt(offset);
    if (!isOffloaded(data, at)) return;
    this.offloaded[side]++;
    this.offloadedSegments[side] += vnetSegments(data, at, offset, length);
  }

  private fail(side: Side, e: unknown): void {
    this.failures++;
    this.dropped[side]++;
    this.lastError = e instanceof Error ? e : new Error(String(e));
  }

  /**
   * The verdict on one frame, with its counters, verdict line, flow record and drop log: true to
   * forward. The frame is the one staged in `slot` of the Dataplane's batch, or with `slot` -1
   * (a capture that hands frames one at a time) `frame[0, length)`, judged on its own.
   */
  private judgeFrame(side: Side, frame: Uint8Array, slot: number, length: number, truncated: boolean): boolean {
    const dp = this.dataplane;
    if (truncated) {
      this.truncated[side]++;
      this.dropped[side]++;
      return false;
    }
    const reason = slot < 0 ? dp.judgeNow(this.linkType, frame, 0, length, length) : dp.judgeStaged(slot);
    const allow = isAllowed(reason);
    if (reason === Reason.NEIGHBOUR_DISCOVERY) this.neighbourDiscovery[side]++;
    this.duties.countLast(reason, length);
    this.duties.reportLast(this.frames, reason, allow);
    if (!allow) {
      this.dropped[side]++;
      this.duties.logDrop(reason, SIDE_NAMES[side]);
      return false;
    }
    if (this.ports[side === Side.INSIDE ? Side.OUTSIDE : Side.INSIDE] === null) {
      this.dropped[side]++;
      return false;
    }
    return true;
  }

  private sendOne(side: Side, frame: Buffer, length: number): void {
    const out = side === Side.INSIDE ? Side.OUTSIDE : Side.INSIDE;
    let refused = false;
    try {
      refused = this.ports[out]!.send(frame, length) === false;
    } catch (e) {
      // The kernel refused (queue full, link down, too long for the MTU): the frame is lost, as on a wire.
      this.lastError = e instanceof Error ? e : new Error(String(e));
      refused = true;
    }
    if (refused) {
      this.injectErrors[out]++;
      this.dropped[side]++;
      return;
    }
    this.forwarded[side]++;
  }

  private sendMany(side: Side, data: Buffer, frames: Int32Array, count: number): void {
    const out = side === Side.INSIDE ? Side.OUTSIDE : Side.INSIDE;
    const port = this.ports[out];
    if (port === null) {
      // Detached during the batch (a capture closing): nowhere to go.
      this.dropped[side] += count;
      return;
    }
    if (port.sendBatch === undefined) {
      // A port without batches (libpcap's): frame by frame, each a copy of its bytes, without the
      // vnet header (such a port takes plain frames).
      const headroom = this.headroom;
      for (let i = 0; i < count; i++) {
        const offset = frames[i * 2]! + headroom;
        const length = frames[i * 2 + 1]! - headroom;
        this.sendOne(side, data.subarray(offset, offset + length), length);
      }
      return;
    }
    let sent = 0;
    let thrown: Error | null = null;
    try {
      sent = port.sendBatch(data, frames, count);
    } catch (e) {
      thrown = e instanceof Error ? e : new Error(String(e));
    }
    this.forwarded[side] += sent;
    if (sent < count) {
      // The port counts which ones and why; here: how many were lost on the way out.
      this.injectErrors[out] += count - sent;
      this.dropped[side] += count - sent;
      this.lastError = thrown ?? BATCH_REFUSED;
    }
  }
}
