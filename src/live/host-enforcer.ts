// The verdict loop of host mode: every packet of an NFQUEUE batch through the Dataplane, its
// verdict written back into the batch. Raw IP packets (link type RAW); the clock is monotonic so a
// wall-clock step cannot age or revive tracked flows.
import type { NfqueueBatch } from '../capture/nfqueue.js';
import { META_STRIDE, NfqMeta, NfqVerdict } from '../capture/nfqueue.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import { isAllowed } from '../dataplane/verdict.js';
import { LinkType } from '../packet/link-types.js';
import { verdictLine } from '../replay/replay-run.js';

export interface VerdictSink {
  write(line: string): unknown;
}

export class HostEnforcer {
  packets = 0;
  allowed = 0;
  dropped = 0;
  /** batches whose handler threw: their packets were dropped (fail closed) */
  failedBatches = 0;
  lastError: Error | null = null;

  /** Bound once, so the binding calls the same function for every batch. */
  readonly onBatch = (batch: NfqueueBatch): void => this.judgeBatch(batch);

  constructor(
    private readonly dataplane: Dataplane,
    private readonly verdicts: VerdictSink | null = null,
    private readonly clock: () => number = performance.now.bind(performance),
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
    const now = this.clock();
    for (let i = 0; i < count; i++) {
      const m = i * META_STRIDE;
      const reason = dataplane.judge(LinkType.RAW, data, meta[m + NfqMeta.OFFSET], meta[m + NfqMeta.LENGTH], now);
      const allow = isAllowed(reason);
      verdicts[i] = allow ? NfqVerdict.ACCEPT : NfqVerdict.DROP;
      if (allow) this.allowed++;
      else this.dropped++;
      this.packets++;
      if (this.verdicts !== null) this.verdicts.write(verdictLine(dataplane, this.packets, reason));
    }
  }
}
