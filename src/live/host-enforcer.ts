// The verdict loop of host mode: every packet of an NFQUEUE batch through the Dataplane, its
// verdict written back into the batch. Raw IP packets (link type RAW); the clock is monotonic so a
// wall-clock step cannot age or revive tracked flows. Inline mode through the kernel bridge
// (`--capture nfqueue`) judges with the same loop, the bridge's packets counted by the side they
// came in on besides (`countSides`: the bridge port the kernel names, NFQA_IFINDEX_PHYSINDEV).
import type { NfqueueBatch } from '../capture/nfqueue.js';
import { META_STRIDE, NfqMeta, NfqVerdict } from '../capture/nfqueue.js';
import { type Dataplane, JUDGE_BATCH } from '../dataplane/dataplane.js';
import { isAllowed, Reason } from '../dataplane/verdict.js';
import { LinkType } from '../packet/link-types.js';
import type { BridgeSideCounts } from './bridge-sides.js';
import type { RelatedRelay } from './related-relay.js';
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

  /**
   * Host mode on workers: where an ICMP error this worker would drop for lack of a rule goes to ask
   * the other workers whether they track the flow it quotes (see related-relay.ts); null: one thread.
   * `answer(id, accept)` gives the deferred packet its verdict (NfqueueReader.verdict).
   */
  private relay: RelatedRelay<DeferredError> | null = null;
  private answer: ((id: number, accept: boolean) => void) | null = null;
  /** inline mode through the kernel bridge: per-side counters, and the inside port's ifindex */
  private sides: BridgeSideCounts | null = null;
  private insideIndex = 0;

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

  /** Defers ICMP errors about flows this worker does not track to `relay`; `answer` sends their verdicts. */
  askOthers(relay: RelatedRelay<DeferredError>, answer: (id: number, accept: boolean) => void): void {
    this.relay = relay;
    this.answer = answer;
  }

  /**
   * Counts every packet by the bridge side it came in on besides: inside when its bridge port in
   * (NfqMeta.PHYS_INDEV) is `insideIndex`, else outside (the queue rules queue only packets between
   * the two ports).
   */
  countSides(sides: BridgeSideCounts, insideIndex: number): void {
    this.sides = sides;
    this.insideIndex = insideIndex;
  }

  /** A deferred error's verdict: `related` when another worker tracks its flow, else its drop reason. */
  readonly settle = (e: DeferredError, related: boolean): void => {
    const reason = related ? Reason.RELATED : e.reason;
    this.dataplane.settleLast(LinkType.RAW, e.frame, 0, e.frame.length, e.reason, reason, e.src, e.dst, e.wireLength);
    this.answer?.(e.id, related);
    this.count(reason, e.wireLength);
    this.sides?.count(e.side, reason, 0);
  };

  judgeBatch(batch: NfqueueBatch): void {
    try {
      this.judgeAll(batch);
    } catch (e) {
      // The binding drops whatever was left unanswered; the loop keeps serving later batches.
      this.failedBatches++;
      this.lastError = e instanceof Error ? e : new Error(String(e));
      // (A packet already deferred stays so: its question is out and will answer it.)
      for (let i = 0; i < batch.count; i++) if (batch.verdicts[i] !== NfqVerdict.DEFER) batch.verdicts[i] = NfqVerdict.DROP;
      if (this.sides) this.sides.failures += batch.count;
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
        // The kernel copied the headers (NfqMeta.LENGTH bytes) of a longer packet (NfqMeta.WIRE_LENGTH).
        dataplane.stageBatch(LinkType.RAW, data, meta, i, group, META_STRIDE, NfqMeta.OFFSET, NfqMeta.LENGTH, NfqMeta.WIRE_LENGTH);
      }
      const wireLength = meta[i * META_STRIDE + NfqMeta.WIRE_LENGTH]!;
      const side = meta[i * META_STRIDE + NfqMeta.PHYS_INDEV] === this.insideIndex ? 0 : 1;
      const reason = dataplane.judgeStaged(slot);
      const allow = isAllowed(reason);
      if (!allow && this.relay !== null && (reason === Reason.INGRESS_NO_RULE || reason === Reason.EGRESS_NO_RULE) && dataplane.lastQuotesDatagram() && this.relay.canAsk()) {
        // Rare: a copy of the error goes to the other workers; the packet waits in the kernel.
        const offset = meta[i * META_STRIDE + NfqMeta.OFFSET]!;
        const frame = data.slice(offset, offset + meta[i * META_STRIDE + NfqMeta.LENGTH]!);
        const id = meta[i * META_STRIDE + NfqMeta.ID]!;
        this.relay.ask({ id, frame, wireLength, reason, src: dataplane.lastSourceInterface, dst: dataplane.lastDestinationInterface, side }, frame, wireLength);
        verdicts[i] = NfqVerdict.DEFER;
        continue;
      }
      verdicts[i] = allow ? NfqVerdict.ACCEPT : NfqVerdict.DROP;
      this.count(reason, wireLength);
      this.sides?.count(side, reason, meta[i * META_STRIDE + NfqMeta.SKB_INFO]!);
    }
  }

  /** The counters, verdict line, flow record and drop line of the last judged packet (`length`: its whole length). */
  private count(reason: number, length: number): void {
    const duties = this.duties;
    const allow = isAllowed(reason);
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

/** An ICMP error waiting for the other workers' answer (see HostEnforcer.askOthers). */
export interface DeferredError {
  /** the NFQUEUE packet id */
  id: number;
  /** a copy of the packet (raw IP): the bytes the kernel copied, its headers at least */
  frame: Uint8Array;
  /** the packet's whole length */
  wireLength: number;
  /** how this worker judged it (a drop) */
  reason: number;
  /** the interfaces it touched, as judged */
  src: number;
  dst: number;
  /** inline mode through the kernel bridge: the side it came in on (see HostEnforcer.countSides) */
  side: number;
}
