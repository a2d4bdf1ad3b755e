// Remembers the verdict of each datagram's first fragment so that its later fragments, which carry
// no ports, share it (issue 3: "Non-first IP fragments are judged with the verdict of their
// datagram's first fragment"). Keyed like reassembly is (RFC 791 §3.2; RFC 8200 §4.5): source,
// destination, protocol and identification. Preallocated and bounded: a set-associative table
// where a full set overwrites its oldest entry, so lookups and inserts cost O(WAYS) whatever the
// load, and a flood of fragments can only evict, never grow memory.
import type { PacketView } from '../packet/packet-view.js';

/** no first fragment known (or it was dropped): the later fragment is dropped */
export const FRAGMENT_UNKNOWN = 0;
/** the "none" answer of `lookup`; the same value as FRAGMENT_UNKNOWN */
export const FRAGMENT_NONE = FRAGMENT_UNKNOWN;
export const FRAGMENT_ALLOWED = 1;
export const FRAGMENT_DROPPED = 2;

/** RFC 791's suggested reassembly timeout is 15 s; Linux's ipfrag_time is 30 s */
export const FRAGMENT_TIMEOUT_MS = 30_000;

const WAYS = 8;
/** words per key: src ×4, dst ×4, (version << 8 | protocol), id */
const KEY_WORDS = 10;

export class FragmentTable {
  readonly capacity: number;
  private readonly sets: number;
  private readonly keys: Uint32Array;
  private readonly times: Float64Array;
  private readonly verdicts: Uint8Array;
  private readonly used: Uint8Array;
  /** first fragments that overwrote a live entry because their set was full */
  evictions = 0;

  /**
   * @param clock where rememberFirstNow/lookupNow read the time (`clock[0]`, ms): a typed array,
   *   because a double argument would be boxed (see i32be in byte-order.ts).
   */
  constructor(
    capacity = 4096,
    readonly timeoutMs = FRAGMENT_TIMEOUT_MS,
    readonly clock: Float64Array = new Float64Array(1),
  ) {
    let sets = 1;
    while (sets * WAYS < capacity) sets <<= 1;
    this.sets = sets;
    this.capacity = sets * WAYS;
    this.keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.times = new Float64Array(this.capacity);
    this.verdicts = new Uint8Array(this.capacity);
    this.used = new Uint8Array(this.capacity);
  }

  /** Records the verdict given to a first fragment (offset 0, more fragments to come). */
  rememberFirst(v: PacketView, verdict: number, nowMs: number): void {
    this.clock[0] = nowMs;
    this.rememberFirstNow(v, verdict);
  }

  /** As rememberFirst, at the time in `clock[0]`: the per-packet path. */
  rememberFirstNow(v: PacketView, verdict: number): void {
    const nowMs = this.clock[0];
    const base = this.setOf(v) * WAYS;
    let slot = -1;
    let oldest = base;
    for (let i = base; i < base + WAYS; i++) {
      if (this.used[i] === 0 || nowMs - this.times[i] > this.timeoutMs) {
        if (slot < 0) slot = i;
        continue;
      }
      if (this.matches(i, v)) {
        slot = i;
        break;
      }
      if (this.times[i] < this.times[oldest]) oldest = i;
    }
    if (slot < 0) {
      slot = oldest;
      this.evictions++;
    }
    this.store(slot, v);
    this.times[slot] = nowMs;
    this.verdicts[slot] = verdict;
    this.used[slot] = 1;
  }

  /** The verdict of this fragment's first fragment, or FRAGMENT_NONE if unknown or timed out. */
  lookup(v: PacketView, nowMs: number): number {
    this.clock[0] = nowMs;
    return this.lookupNow(v);
  }

  /** As lookup, at the time in `clock[0]`: the per-packet path. */
  lookupNow(v: PacketView): number {
    const nowMs = this.clock[0];
    const base = this.setOf(v) * WAYS;
    for (let i = base; i < base + WAYS; i++) {
      if (this.used[i] !== 0 && nowMs - this.times[i] <= this.timeoutMs && this.matches(i, v)) return this.verdicts[i];
    }
    return FRAGMENT_NONE;
  }

  clear(): void {
    this.used.fill(0);
  }

  private setOf(v: PacketView): number {
    let h = Math.imul(v.fragmentId ^ (v.protocol << 24) ^ v.ipVersion, 0x9e3779b1);
    for (let i = 0; i < 4; i++) {
      h = Math.imul(h ^ v.src[i], 0x85ebca6b);
      h = Math.imul(h ^ v.dst[i], 0xc2b2ae35);
    }
    h ^= h >>> 15;
    return (h >>> 0) & (this.sets - 1);
  }

  private matches(slot: number, v: PacketView): boolean {
    const k = this.keys;
    const o = slot * KEY_WORDS;
    return (
      k[o + 9] === v.fragmentId >>> 0 &&
      k[o + 8] === ((v.ipVersion << 8) | v.protocol) &&
      k[o] === v.src[0] &&
      k[o + 4] === v.dst[0] &&
      k[o + 1] === v.src[1] &&
      k[o + 2] === v.src[2] &&
      k[o + 3] === v.src[3] &&
      k[o + 5] === v.dst[1] &&
      k[o + 6] === v.dst[2] &&
      k[o + 7] === v.dst[3]
    );
  }

  private store(slot: number, v: PacketView): void {
    const k = this.keys;
    const o = slot * KEY_WORDS;
    for (let i = 0; i < 4; i++) {
      k[o + i] = v.src[i];
      k[o + 4 + i] = v.dst[i];
    }
    k[o + 8] = (v.ipVersion << 8) | v.protocol;
    k[o + 9] = v.fragmentId;
  }
}
