// The typed face of native-bindings/nfqueue: one NFQUEUE queue read on the event loop. The kernel
// copies each packet's first HEADER_COPY bytes (its headers: the verdict reads nothing else) and
// queues GSO super-packets whole (NFQA_CFG_F_GSO). Packets
// arrive in batches (one recvmmsg each) in buffers allocated once here; the handler writes one verdict per packet into
// `batch.verdicts` before it returns, and the binding sends them (runs of consecutive ids with one
// verdict as a single batch verdict). A packet the handler leaves unanswered is dropped; one it
// marks DEFER stays queued in the kernel until `reader.verdict(id, accept)` (each id exactly once).
import { createRequire } from 'node:module';
import { BUILD_ADDONS_COMMAND, missingAddon } from './missing-addon.js';

/** Fields of one packet in `batch.meta`, at `i * META_STRIDE + field`. */
export const NfqMeta = {
  ID: 0,
  /** the copied bytes (the IP packet's start, link type RAW): offset in `batch.data` */
  OFFSET: 1,
  /** bytes copied: at most the copy range (HEADER_COPY) */
  LENGTH: 2,
  /** netfilter hook (linux/netfilter.h, enum nf_inet_hooks: 0 PRE_ROUTING … 4 POST_ROUTING) */
  HOOK: 3,
  /** input / output interface index, 0 when none */
  INDEV: 4,
  OUTDEV: 5,
  /** the packet's whole length (NFQA_CAP_LEN); LENGTH when it was copied whole */
  WIRE_LENGTH: 6,
  /** NFQA_SKB_INFO flags (linux/netfilter/nfnetlink_queue.h): 1 checksum not filled in yet, 2 GSO super-packet */
  SKB_INFO: 7,
  /** a bridged packet's (br_netfilter) bridge port in / out (NFQA_IFINDEX_PHYSINDEV / PHYSOUTDEV), 0 when none */
  PHYS_INDEV: 8,
  PHYS_OUTDEV: 9,
} as const;
export const META_STRIDE = 10;

/**
 * Bytes of each packet the kernel copies to us: every header the decoder reads (IPv4 or IPv6 with
 * its extension headers, TCP with options, UDP, ICMP; an ICMP error's quoted IP header and the
 * first 8 bytes of what it carried), with room to spare. 60 + 60 bytes is the most an IPv4 TCP
 * packet's headers take; an ICMPv6 error's, 40 + 8 + 40 + 8 plus extension headers on both. A
 * packet whose headers run past it is dropped as malformed (fail closed).
 */
export const HEADER_COPY = 512;

/** DEFER: answered later by `NfqueueReader.verdict` (batch verdicts are held back while one is pending) */
export const NfqVerdict = { DROP: 0, ACCEPT: 1, DEFER: 2 } as const;

export interface NfqueueOptions {
  /** the queue number of `-j NFQUEUE --queue-num N` (0–65535) */
  queueNum: number;
  /** packets the kernel holds for us before it drops (or, fail-open, accepts) new ones; 0: kernel default */
  maxLen?: number;
  /** NFQA_CFG_F_FAIL_OPEN: when the queue is full, the kernel accepts instead of dropping */
  failOpen?: boolean;
  /** packets per batch (default 64) */
  maxBatch?: number;
  /** bytes copied per packet (default HEADER_COPY; 65535: whole packets) */
  copyRange?: number;
  /** NFQA_CFG_F_GSO: GSO super-packets queued whole (default true) */
  gso?: boolean;
}

/** Reused for every batch: valid only inside the handler call. */
export interface NfqueueBatch {
  count: number;
  readonly meta: Uint32Array;
  readonly data: Uint8Array;
  readonly verdicts: Uint8Array;
}

export interface NfqueueStats {
  received: number;
  batches: number;
  /** socket overruns: packets the kernel could not hand to us (they got the queue's failure verdict) */
  enobufs: number;
  verdictErrors: number;
  overflows: number;
  /** packets queued as GSO super-packets (segmented after the verdict) */
  gsoPackets: number;
  /** packets copied in part: their headers only */
  headersOnly: number;
  /** 1 when the kernel took NFQA_CFG_F_GSO (3.10+; summed over workers: queues that did); without it, GSO packets are segmented before the queue */
  gsoQueues: number;
}

export class NfqueueError extends Error {
  override readonly name = 'NfqueueError';
}

interface NativeQueue {
  start(): void;
  close(): void;
  stats(): number[];
  fd(): number;
  verdict(id: number, accept: boolean): boolean;
}
interface NativeModule {
  Queue: new (
    queueNum: number,
    maxLen: number,
    failOpen: boolean,
    arena: ArrayBuffer,
    meta: ArrayBuffer,
    verdicts: ArrayBuffer,
    maxBatch: number,
    onBatch: (count: number) => void,
    copyRange: number,
    gso: boolean,
  ) => NativeQueue;
  META_STRIDE: number;
  dropCapabilities?: (keep: bigint) => NativeCapabilityDrop;
}

/** What the addon's dropCapabilities did, across the process's threads (see live/capabilities.ts). */
export interface NativeCapabilityDrop {
  kept: bigint;
  lastCap: number;
  threads: number;
  asked: number;
  acknowledged: number;
  failed: number;
  skipped: number[];
}

/** Where node-gyp puts the addon, from src/capture/ and dist/capture/ alike. */
export const NFQUEUE_ADDON = new URL('../../native-bindings/nfqueue/build/Release/nfqueue.node', import.meta.url);

let native: NativeModule | null = null;

function loadNative(): NativeModule {
  if (native) return native;
  try {
    native = createRequire(import.meta.url)(NFQUEUE_ADDON.pathname) as NativeModule;
  } catch (e) {
    throw missingAddon('host mode', 'NFQUEUE', NFQUEUE_ADDON.pathname, ['g++', 'make', 'python3', 'libnetfilter-queue-dev'], e);
  }
  if (native.META_STRIDE !== META_STRIDE) throw new NfqueueError(`NFQUEUE binding stride ${native.META_STRIDE}, expected ${META_STRIDE}`);
  return native;
}

/**
 * Drops every capability outside `keep` on every thread, through the NFQUEUE addon (capabilities
 * are per thread on Linux and Node has no call for it). The addon is loaded here, with the queue's.
 */
export function dropThreadCapabilities(keep: bigint): NativeCapabilityDrop {
  const addon = loadNative();
  if (typeof addon.dropCapabilities !== 'function') {
    throw new NfqueueError(`the NFQUEUE binding at ${NFQUEUE_ADDON.pathname} predates dropCapabilities: run '${BUILD_ADDONS_COMMAND}'`);
  }
  return addon.dropCapabilities(keep);
}

// One slot per packet of a batch, each room for a whole netlink message (the copy range and the
// message's attributes): the binding receives a batch of messages straight into the slots
// (recvmmsg) and the packets are read where they landed.
const SLOT_OVERHEAD = 512;

export class NfqueueReader {
  private readonly queue: NativeQueue;
  private closed = false;

  /** Binds the queue (needs CAP_NET_ADMIN); packets flow to `handler` after `start()`. */
  constructor(options: NfqueueOptions, handler: (batch: NfqueueBatch) => void) {
    const { queueNum, maxLen = 0, failOpen = false, maxBatch = 64, copyRange = HEADER_COPY, gso = true } = options;
    if (!Number.isInteger(queueNum) || queueNum < 0 || queueNum > 65535) throw new NfqueueError(`queue number ${queueNum} is not 0–65535`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1024) throw new NfqueueError(`batch size ${maxBatch} is not 1–1024`);
    if (!Number.isInteger(copyRange) || copyRange < 64 || copyRange > 65535) throw new NfqueueError(`copy range ${copyRange} is not 64–65535`);
    const mod = loadNative();
    const arena = new ArrayBuffer(maxBatch * (copyRange + SLOT_OVERHEAD));
    const meta = new ArrayBuffer(maxBatch * META_STRIDE * 4);
    const verdicts = new ArrayBuffer(maxBatch);
    const batch: NfqueueBatch = { count: 0, meta: new Uint32Array(meta), data: new Uint8Array(arena), verdicts: new Uint8Array(verdicts) };
    try {
      this.queue = new mod.Queue(queueNum, maxLen, failOpen, arena, meta, verdicts, maxBatch, (count) => {
        batch.count = count;
        handler(batch);
      }, copyRange, gso);
    } catch (e) {
      const message = (e as Error).message;
      // The kernel answers a bind of a queue another socket holds with EPERM, the word for a missing
      // capability; the capability was there (the family binds before it went through).
      if (/^nfq_create_queue\(\d+\): Operation not permitted/.test(message)) {
        throw new NfqueueError(`NFQUEUE ${queueNum} is already bound by another process (another sgfw: host mode or an inline instance, or another NFQUEUE reader): give this one other queues (--queue N)`);
      }
      throw new NfqueueError(`cannot open NFQUEUE ${queueNum}: ${message}`);
    }
  }

  start(): void {
    if (this.closed) throw new NfqueueError('the queue is closed');
    this.queue.start();
  }

  /** Unbinds the queue; packets still queued in the kernel are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
  }

  /**
   * Answers a packet a batch marked DEFER (its id: `meta[i * META_STRIDE + NfqMeta.ID]`), once.
   * False when the queue is closed (the kernel dropped it) or the kernel refused the verdict.
   */
  verdict(id: number, accept: boolean): boolean {
    return this.queue.verdict(id, accept);
  }

  stats(): NfqueueStats {
    const [received, batches, enobufs, verdictErrors, overflows, gsoPackets, headersOnly, gsoQueues] = this.queue.stats();
    return { received, batches, enobufs, verdictErrors, overflows, gsoPackets, headersOnly, gsoQueues };
  }
}
