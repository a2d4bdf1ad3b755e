// The per-side counters of inline mode through the kernel bridge (`--capture nfqueue`): the frames
// the kernel queued from each bridge port, forwarded (accepted) or dropped, by the side they came in
// on, kept where host-enforcer.ts judges them and read by inline-metrics.ts under the names the
// AF_PACKET bridge (inline-bridge.ts) uses. Nothing is sent by sgfw here: the kernel forwards what is
// accepted, so there are no inject errors, and a frame is never cut (the kernel copies headers only).
import { isAllowed, Reason } from '../dataplane/verdict.js';

/** NFQA_SKB_INFO's GSO flag (linux/netfilter/nfnetlink_queue.h NFQA_SKB_GSO): a super-packet queued whole */
const SKB_GSO = 2;

export class BridgeSideCounts {
  /** per side (index: Side), counted on the side the frame came in */
  readonly received = new Float64Array(2);
  readonly forwarded = new Float64Array(2);
  readonly dropped = new Float64Array(2);
  readonly neighbourDiscovery = new Float64Array(2);
  /** GSO super-packets judged whole (their segment count is not in the queue's message) */
  readonly offloaded = new Float64Array(2);
  /** always zero: the kernel sends what is accepted */
  readonly truncated = new Float64Array(2);
  readonly injectErrors = new Float64Array(2);
  /** frames of batches whose handling threw (dropped) */
  failures = 0;

  /** One judged frame from `side`: its verdict `reason`, its NFQA_SKB_INFO flags. */
  count(side: number, reason: number, skbInfo: number): void {
    this.received[side]++;
    if (isAllowed(reason)) this.forwarded[side]++;
    else this.dropped[side]++;
    if (reason === Reason.NEIGHBOUR_DISCOVERY) this.neighbourDiscovery[side]++;
    if ((skbInfo & SKB_GSO) !== 0) this.offloaded[side]++;
  }
}
