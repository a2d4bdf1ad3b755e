// The verdict loop of host mode: every packet of an NFQUEUE batch through the Dataplane, its
// verdict written back into the batch. Raw IP packets (link type RAW); the clock is monotonic so a
// wall-clock step cannot age or revive tracked flows.
import type { NfqueueBatch } from '../capture/nfqueue.js';
import { META_STRIDE, NfqMeta, NfqVerdict } from '../capture/nfqueue.js';
import { type Dataplane, JUDGE_BATCH } from '../dataplane/dataplane.js';
import { isAllowed } from '../dataplane/verdict.js';
import { LinkType } from '../packet/link-types.js';
import { type DropLog, type FlowRecorder, VerdictDuties, type VerdictSink } from './verdict-duties.js';

export class HostEnforcer {
  packets = 0;
  allowed = 0;
  dropped = 0;
  /** batches whose handler threw: their packets were dropped (fail closed) */
  failedBatches = 0;
  lastError: Error | null = null;
  /** counters, verdict lines, flow records and sampled drop lines of every packet */
  readonly duties: VerdictDuties;

  /** Bound once, so the binding calls the same function for every batch. */
  readonly onBatch = (batch: NfqueueBatch): void => this.judgeBatch(batch);

  constructor(
    private readonly dataplane: Dataplane,
    verdicts: VerdictSink | null = null,
    private readonly clock: () => number = performance.now.bind(performance),
    drops: DropLog | null = null,
    flows: FlowRecorder | null = null,
  ) {
    this.duties = new VerdictDuties(dataplane, { verdicts, drops, flows, dropMessage: 'packet dropped' });
  }

  /**
   * Packets and bytes by managed interface and reason, for metrics read at scrape time (see
   * VerdictDuties.packetCounts). A packet between two managed interfaces counts on both.
   */
  get packetCounts(): Float64Array {
    return this.duties.packetCounts;
  }

  get byteCounts(): Float64Array {
    return this.duties.byteCounts;
  }

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
    const duties = this.duties;
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
        duties.logDrop(reason, null);
      }
      this.packets++;
      duties.countLast(reason, length);
      duties.reportLast(this.packets, reason, allow);
    }
  }
}
