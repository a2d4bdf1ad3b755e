// What every live loop (host: NFQUEUE, inline: AF_PACKET or libpcap bridge, monitor) does with the
// verdict on the packet its Dataplane judged last, besides acting on it: count it by managed
// interface and reason (the slot layout host-metrics.ts reads), write its `--verdicts` line, record
// its flow, and log it, sampled, when dropped. Each loop calls the duties it has in its own order.
// Counting and the drop-log sampling run for every packet and allocate nothing; verdict lines,
// flow records and the few drop lines the sampler lets by allocate, and are opt-in or rate-limited.
import { wordsToAddress } from '../dataplane/address-words.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import { isAllowed, Reason, REASON_COUNT, REASON_NAMES } from '../dataplane/verdict.js';
import { recordFlows } from '../dataplane/verdict-summary.js';
import type { DropSampler } from '../observe/drop-sampler.js';
import type { FlowSink } from '../observe/flow-log.js';
import { reasonWords, verdictLine } from '../observe/verdict-line.js';

/** Where `--verdicts` lines go. */
export interface VerdictSink {
  write(line: string): unknown;
}

/** What writes a drop line: the run's logger, or a worker's buffer that carries it to the main thread. */
export interface DropLogger {
  info(fields: object, message: string): unknown;
}

/** Sampled drop lines: the sampler decides (a counter check), the logger writes the few it lets by. */
export interface DropLog {
  readonly sampler: DropSampler;
  readonly logger: DropLogger;
}

/** Where flow-log records of the last judged packet go (off by default: it allocates). */
export interface FlowRecorder {
  record(accepted: boolean): void;
}

/** A flow log cut in capture windows (FlowLogFile): the window a record at `nowSeconds` goes in. */
export interface FlowWindows {
  window(nowSeconds: number): FlowSink;
}

/** Counter slot of a packet that touched no managed interface; interface index i uses slot i + 1. */
export const NO_INTERFACE_SLOT = 0;

/** What metrics read of a loop's counters (see VerdictDuties.packetCounts). */
export interface VerdictCounts {
  readonly packetCounts: Float64Array;
  readonly byteCounts: Float64Array;
}

const REASON_WORDS = reasonWords(REASON_NAMES, isAllowed, [Reason.RULE, Reason.RULE_UNTRACKED]);

/**
 * Flow-log records of the last judged packet, one per managed interface it touched, in the window
 * of now (wall-clock seconds, as AWS stamps records). Allocates: flow logs are opt-in.
 */
export function recordLastFlow(dataplane: Dataplane, flows: FlowWindows, accepted: boolean): void {
  if (dataplane.lastSourceInterface < 0 && dataplane.lastDestinationInterface < 0) return;
  const now = Date.now() / 1000;
  recordFlows(dataplane, flows.window(now), now, accepted);
}

export interface VerdictDutiesOptions {
  /** one JSON line per packet (as `sgfw replay --verdicts`) */
  verdicts?: VerdictSink | null;
  drops?: DropLog | null;
  flows?: FlowRecorder | null;
  /** the message of a drop line: what the loop judges ('packet dropped', 'frame dropped') */
  dropMessage?: string;
}

export class VerdictDuties implements VerdictCounts {
  /**
   * Packets and bytes by `slot * REASON_COUNT + reason` (slot: NO_INTERFACE_SLOT or interface
   * index + 1), for metrics read at scrape time. Grown (rarely) when an interface index outgrows them.
   */
  packetCounts = new Float64Array(16 * REASON_COUNT);
  byteCounts = new Float64Array(16 * REASON_COUNT);

  private readonly verdicts: VerdictSink | null;
  private readonly drops: DropLog | null;
  private readonly flows: FlowRecorder | null;
  private readonly dropMessage: string;

  constructor(
    private readonly dataplane: Dataplane,
    options: VerdictDutiesOptions = {},
  ) {
    this.verdicts = options.verdicts ?? null;
    this.drops = options.drops ?? null;
    this.flows = options.flows ?? null;
    this.dropMessage = options.dropMessage ?? 'packet dropped';
  }

  /** A packet between two managed interfaces counts on both, as each ENI's own counters would. */
  countLast(reason: number, bytes: number): void {
    const src = this.dataplane.lastSourceInterface;
    const dst = this.dataplane.lastDestinationInterface;
    if (src < 0 && dst < 0) this.count(NO_INTERFACE_SLOT, reason, bytes);
    if (src >= 0) this.count(src + 1, reason, bytes);
    if (dst >= 0) this.count(dst + 1, reason, bytes);
  }

  /** The verdict line (`frame`: the packet's number in the loop's count) and the flow record. */
  reportLast(frame: number, reason: number, allowed: boolean): void {
    if (this.verdicts !== null) this.verdicts.write(verdictLine(this.dataplane, frame, REASON_WORDS[reason]));
    if (this.flows !== null) this.flows.record(allowed);
  }

  /** A dropped packet, logged if the sampler lets it by; `from`: the side it came in on, or null. */
  logDrop(reason: number, from: string | null): void {
    if (this.drops !== null && this.drops.sampler.take()) this.writeDrop(reason, from);
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
  private writeDrop(reason: number, from: string | null): void {
    const dp = this.dataplane;
    const v = dp.view;
    const iface = (index: number): string | null => (index < 0 ? null : (dp.interfaceAt(index)?.interfaceId ?? null));
    this.drops!.logger.info(
      {
        event: 'drop',
        ...(from === null ? {} : { from }),
        reason: REASON_NAMES[reason],
        // The view holds addresses only when the packet decoded.
        ...(reason !== Reason.MALFORMED && reason !== Reason.UNSUPPORTED_LINK && (v.ipVersion === 4 || v.ipVersion === 6)
          ? { src: wordsToAddress(v.ipVersion, v.src), dst: wordsToAddress(v.ipVersion, v.dst), protocol: v.protocol, srcPort: v.srcPort, dstPort: v.dstPort }
          : {}),
        sourceInterface: iface(dp.lastSourceInterface),
        destinationInterface: iface(dp.lastDestinationInterface),
      },
      this.dropMessage,
    );
  }
}
