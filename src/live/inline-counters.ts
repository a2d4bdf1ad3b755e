// Packets and bytes by managed interface and reason, in the slot layout host-metrics.ts reads
// (slot 0: touched no managed interface; interface index i: slot i + 1), so the inline bridge feeds
// the same `sgfw_packets_total` / `sgfw_bytes_total` families as host mode.
import type { Dataplane } from '../dataplane/dataplane.js';
import { REASON_COUNT } from '../dataplane/verdict.js';

export const NO_INTERFACE_SLOT = 0;

export class VerdictCounters {
  /** by `slot * REASON_COUNT + reason`; grown (rarely) when an interface index outgrows them */
  packetCounts = new Float64Array(16 * REASON_COUNT);
  byteCounts = new Float64Array(16 * REASON_COUNT);

  /** A frame between two managed interfaces counts on both, as each ENI's own counters would. */
  countLast(dataplane: Dataplane, reason: number, bytes: number): void {
    const src = dataplane.lastSourceInterface;
    const dst = dataplane.lastDestinationInterface;
    if (src < 0 && dst < 0) this.count(NO_INTERFACE_SLOT, reason, bytes);
    if (src >= 0) this.count(src + 1, reason, bytes);
    if (dst >= 0) this.count(dst + 1, reason, bytes);
  }

  count(slot: number, reason: number, bytes: number): void {
    const at = slot * REASON_COUNT + reason;
    if (at >= this.packetCounts.length) this.grow(slot);
    this.packetCounts[at]++;
    this.byteCounts[at] += bytes;
  }

  private grow(slot: number): void {
    const size = (slot + 1) * 2 * REASON_COUNT;
    const packets = new Float64Array(size);
    const bytes = new Float64Array(size);
    packets.set(this.packetCounts);
    bytes.set(this.byteCounts);
    this.packetCounts = packets;
    this.byteCounts = bytes;
  }
}
