// The verdict loop of host mode: every packet of an NFQUEUE batch through the Dataplane, its
// verdict written back into the batch. Raw IP packets (link type RAW); the clock is monotonic so a
// wall-clock step cannot age or revive tracked flows.
import type { NfqueueBatch } from '../capture/nfqueue.js';
import { META_STRIDE, NfqMeta, NfqVerdict } from '../capture/nfqueue.js';
import { wordsToAddress } from '../dataplane/address-words.js';
import { type Dataplane, JUDGE_BATCH } from '../dataplane/dataplane.js';
import { isAllowed, Reason, REASON_COUNT, REASON_NAMES } from '../dataplane/verdict.js';
import type { DropSampler } from '../observe/drop-sampler.js';
import type { Logger } from '../observe/logger.js';
import { LinkType } from '../packet/link-types.js';
import { verdictLine } from '../replay/replay-run.js';

export interface VerdictSink {
  write(line: string): unknown;
}

/** Sampled drop lines: the sampler decides (a counter check), the logger writes the few it lets by. */
export interface DropLog {
  readonly sampler: DropSampler;
  readonly logger: Logger;
}

/** Where flow-log records of the last judged packet go (off by default: it allocates). */
export interface FlowRecorder {
  record(accepted: boolean): void;
}

/** Counter slot of a packet that touched no managed interface; interface index i uses slot i + 1. */
export const NO_INTERFACE_SLOT = 0;

export class HostEnforcer {
  packets = 0;
  allowed = 0;
  dropped = 0;
  /** batches whose handler threw: their packets were dropped (fail closed) */
  failedBatches = 0;
  lastError: Error | null = null;
  /**
   * Packets and bytes by `slot * REASON_COUNT + reason` (slot: NO_INTERFACE_SLOT or interface
   * index + 1), for metrics read at scrape time. A packet between two managed interfaces counts on
   * both, as each ENI's own counters would. Grown (rarely) when an interface index outgrows them.
   */
  packetCounts = new Float64Array(16 * REASON_COUNT);
  byteCounts = new Float64Array(16 * REASON_COUNT);

  /** Bound once, so the binding calls the same function for every batch. */
  readonly onBatch = (batch: NfqueueBatch): void => this.judgeBatch(batch);

  constructor(
    private readonly dataplane: Dataplane,
    private readonly verdicts: VerdictSink | null = null,
    private readonly clock: () => number = performance.now.bind(performance),
    private readonly drops: DropLog | null = null,
    private readonly flows: FlowRecorder | null = null,
  ) {}

  judgeBatch(batch: NfqueueBatch): void {
    try {
      this.judgeAll(batch);
    } catch (e) {
      // The binding drops whatever was left unanswered; the loop keeps serving later batches.
      this.failedBatches++;
      this.lastError = e instanceof Error ? e : new Error(String(e));
      batch.verdicts.fill(NfqVerdict.DROP, 0, batch.count);
    }
  }

  private judgeAll(batch: NfqueueBatch): void {
    const { meta, data, verdicts, count } = batch;
    const dataplane = this.dataplane;
    // One time for the batch, written where the pipeline reads it (see Dataplane.clock).
    dataplane.clock[0] = this.clock();
    for (let i = 0; i < count; i++) {
      // In groups of JUDGE_BATCH: staged (decoded, conntrack records read together), then judged in order.
      const slot = i % JUDGE_BATCH;
      if (slot === 0) {
        const group = count - i < JUDGE_BATCH ? count - i : JUDGE_BATCH;
        dataplane.stageBatch(LinkType.RAW, data, meta, i, group, META_STRIDE, NfqMeta.OFFSET, NfqMeta.LENGTH);
      }
      const length = meta[i * META_STRIDE + NfqMeta.LENGTH];
      const reason = dataplane.judgeStaged(slot);
      const allow = isAllowed(reason);
      verdicts[i] = allow ? NfqVerdict.ACCEPT : NfqVerdict.DROP;
      if (allow) this.allowed++;
      else {
        this.dropped++;
        if (this.drops !== null && this.drops.sampler.take()) this.logDrop(reason);
      }
      this.packets++;
      const src = dataplane.lastSourceInterface;
      const dst = dataplane.lastDestinationInterface;
      if (src < 0 && dst < 0) this.count(NO_INTERFACE_SLOT, reason, length);
      if (src >= 0) this.count(src + 1, reason, length);
      if (dst >= 0) this.count(dst + 1, reason, length);
      if (this.verdicts !== null) this.verdicts.write(verdictLine(dataplane, this.packets, reason));
      if (this.flows !== null) this.flows.record(allow);
    }
  }

  private count(slot: number, reason: number, bytes: number): void {
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

  /** Slow path, at most the sampler's rate per second: the decoded packet as one log line. */
  private logDrop(reason: number): void {
    const dp = this.dataplane;
    const v = dp.view;
    const iface = (index: number): string | null => (index < 0 ? null : (dp.interfaceAt(index)?.interfaceId ?? null));
    this.drops!.logger.info(
      {
        event: 'drop',
        reason: REASON_NAMES[reason],
        // The view holds addresses only when the packet decoded.
        ...(reason !== Reason.MALFORMED && reason !== Reason.UNSUPPORTED_LINK && (v.ipVersion === 4 || v.ipVersion === 6)
          ? { src: wordsToAddress(v.ipVersion, v.src), dst: wordsToAddress(v.ipVersion, v.dst), protocol: v.protocol, srcPort: v.srcPort, dstPort: v.dstPort }
          : {}),
        sourceInterface: iface(dp.lastSourceInterface),
        destinationInterface: iface(dp.lastDestinationInterface),
      },
      'packet dropped',
    );
  }
}
