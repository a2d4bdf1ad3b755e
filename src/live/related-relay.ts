// Host mode on worker threads: an ICMP error a worker would drop (no rule allows it, and its own
// table holds no flow it quotes) may be about a flow another worker tracks — NFQUEUE's queue hash
// is of the error's own addresses, and a router's error has a third one. The worker defers the
// packet (it stays queued in the kernel) and asks every other worker, over MessagePorts between
// workers (set up by the pool; no main-thread hop), whether it tracks the quoted flow; the first
// yes settles it `related`, all no (or no answer within the timeout) settles it dropped. At most
// `cap` questions are outstanding: past that, an error is dropped at once (a flood of forged
// errors cannot pile up packets in the kernel).
import type { MessagePort } from 'node:worker_threads';

/** worker ↔ worker over a peer port */
/** `wire`: the frame's length on the wire (more than `frame.length` when only its headers were copied) */
export type RelayMessage = { kind: 'ask'; seq: number; frame: Uint8Array; wire: number } | { kind: 'answer'; seq: number; related: boolean };

/** How long an asking worker waits for the others before it drops the packet. */
export const RELATED_TIMEOUT_MS = 100;
/** Questions outstanding at most per worker. */
export const RELATED_CAP = 1024;

interface Question<T> {
  readonly item: T;
  waiting: number;
  readonly timer: NodeJS.Timeout;
}

export interface RelayCounters {
  /** errors deferred and asked about */
  deferred: number;
  /** settled `related` by another worker's answer */
  handedOver: number;
  /** dropped because no answer came in time */
  timeouts: number;
  /** dropped at once: `cap` questions were already outstanding */
  overflows: number;
}

export class RelatedRelay<T> {
  readonly counters: RelayCounters = { deferred: 0, handedOver: 0, timeouts: 0, overflows: 0 };
  private readonly open = new Map<number, Question<T>>();
  private seq = 0;

  /**
   * `peers`: a port to each other worker; `tracks(frame, wireLength)`: whether this worker tracks the
   * flow an error from another worker quotes; `settle(item, related)`: called once per question asked.
   */
  constructor(
    private readonly peers: readonly MessagePort[],
    tracks: (frame: Uint8Array, wireLength: number) => boolean,
    private readonly settle: (item: T, related: boolean) => void,
    private readonly timeoutMs = RELATED_TIMEOUT_MS,
    private readonly cap = RELATED_CAP,
  ) {
    for (const port of peers) {
      port.on('message', (m: RelayMessage) => {
        if (m.kind === 'ask') port.postMessage({ kind: 'answer', seq: m.seq, related: tracks(m.frame, m.wire) } satisfies RelayMessage);
        else this.answer(m.seq, m.related);
      });
    }
  }

  /** Whether there is anyone to ask and room to ask now (if not, the caller drops; counted). */
  canAsk(): boolean {
    if (this.peers.length === 0) return false;
    if (this.open.size < this.cap) return true;
    this.counters.overflows++;
    return false;
  }

  /** Asks every other worker about the error in `frame` (cloned to each; `wireLength`: its whole length). */
  ask(item: T, frame: Uint8Array, wireLength = frame.length): void {
    const seq = this.seq++;
    this.counters.deferred++;
    const timer = setTimeout(() => {
      if (!this.open.delete(seq)) return;
      this.counters.timeouts++;
      this.settle(item, false);
    }, this.timeoutMs);
    this.open.set(seq, { item, waiting: this.peers.length, timer });
    for (const port of this.peers) port.postMessage({ kind: 'ask', seq, frame, wire: wireLength } satisfies RelayMessage);
  }

  private answer(seq: number, related: boolean): void {
    const q = this.open.get(seq);
    if (!q) return; // timed out already
    if (!related && --q.waiting > 0) return;
    this.open.delete(seq);
    clearTimeout(q.timer);
    if (related) this.counters.handedOver++;
    this.settle(q.item, related);
  }

  /** Settles every open question as dropped and closes the ports. */
  close(): void {
    for (const [seq, q] of this.open) {
      clearTimeout(q.timer);
      this.open.delete(seq);
      this.settle(q.item, false);
    }
    for (const port of this.peers) port.close();
  }
}
