// Inline mode's per-side counters, read by inline-metrics.ts whichever way frames cross: the
// AF_PACKET/libpcap bridge (inline-bridge.ts) counts into them as it forwards, and inline mode
// through the kernel bridge (`--capture nfqueue`) as host-enforcer.ts judges the frames the kernel
// queued from each bridge port (BridgeSideCounts). There nothing is sent by sgfw: the kernel forwards
// what is accepted, so there are no inject errors, and a frame is never cut (headers only).
import { isAllowed, Reason } from '../dataplane/verdict.js';

/** NFQA_SKB_INFO's GSO flag (linux/netfilter/nfnetlink_queue.h NFQA_SKB_GSO): a super-packet queued whole */
const SKB_GSO = 2;

export class SideCounters {
  /** per side (index: Side), counted on the side the frame came in */
  readonly received = new Float64Array(2);
  readonly forwarded = new Float64Array(2);
  readonly dropped = new Float64Array(2);
  /** frames longer than the capture buffer: dropped, they would go out cut (never, through the kernel bridge) */
  readonly truncated = new Float64Array(2);
  /** IPv6 neighbour discovery the rules would have dropped, passed as link control */
  readonly neighbourDiscovery = new Float64Array(2);
  /** per side (index: Side) the frame was to go out of: injections the kernel refused (never, through the kernel bridge) */
  readonly injectErrors = new Float64Array(2);
  /** frames that came in as offloaded super-frames (TSO/GSO/GRO; GSO through the kernel bridge), judged and forwarded or dropped whole */
  readonly offloaded = new Float64Array(2);
  /** frames whose handling threw (dropped) */
  failures = 0;
}

/** Through the kernel bridge: the counters of each frame judged (the segments of a GSO packet are not in the queue's message). */
export class BridgeSideCounts extends SideCounters {
  /** One judged frame from `side`: its verdict `reason`, its NFQA_SKB_INFO flags. */
  count(side: number, reason: number, skbInfo: number): void {
    this.received[side]++;
    if (isAllowed(reason)) this.forwarded[side]++;
    else this.dropped[side]++;
    if (reason === Reason.NEIGHBOUR_DISCOVERY) this.neighbourDiscovery[side]++;
    if ((skbInfo & SKB_GSO) !== 0) this.offloaded[side]++;
  }
}
