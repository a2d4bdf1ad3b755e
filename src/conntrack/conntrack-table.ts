// The connection-tracking table of seed 001's "Connection tracking": one bounded table for all
// managed interfaces, the interface index part of every key, so flows never leak between them.
//
// Layout: open addressing with linear probing over `slots` 64-byte records held in one
// page-aligned buffer (viewed as words, signed words and doubles), one record per cache line.
// A key's home slot is its hash masked to the table; a lookup reads the record there and, on a
// collision, the next ones — adjacent lines, which the hardware prefetches — until it finds the
// key or an empty slot. So a lookup costs one cache miss: the chained layout this replaces read
// a bucket head, then the record it pointed to, two dependent misses (a CPU profile showed them
// as the largest cost of the whole pipeline).
// Deletion shifts the rest of the cluster back (Knuth's algorithm R) instead of leaving a
// tombstone: a flow table churns all the time, and tombstones would lengthen every probe until a
// rebuild. Moves only ever go back towards an entry's home slot, so the sweep cursor and the
// loops over all slots re-examine the slot they removed from (see scan and removeFlowsOf).
// Sizing: `slots` is the power of two at or above 4/3 of `capacity`, so the load factor stays at
// or below 0.75 even when full (expected probes: hit ≤ 2.5, miss ≤ 8.5 records, contiguous) and
// one empty slot always ends a probe. Memory: 64 × slots bytes — 128 bytes per flow at the
// default capacity of 2^20 (load 0.5 when full), at most 171 for any capacity. Cuckoo and
// hopscotch tables were the alternatives: cuckoo reads two random lines on every miss (and
// every new flow starts with a miss) and needs kick-out chains on insert; hopscotch keeps a
// neighbourhood bitmap per slot to reach the same one-line hit that linear probing gets at
// this load factor for free.
// Nothing is allocated per packet: the key of the packet at hand is built in preallocated
// scratch fields, then compared word by word.
//
// Keys:
// - TCP, UDP: (interface, family, protocol, endpoint A, endpoint B), the two endpoints ordered
//   (address words, then port) so both directions find one entry; the entry remembers which
//   endpoint opened the flow.
// - ICMP/ICMPv6 queries (echo, timestamp, information, address mask): (requester, responder,
//   identifier, request type), oriented: a request A→B and a reply B→A find the entry A opened,
//   a request B→A with the same identifier is another flow.
// - Other protocols: (address pair, protocol number), no ports (seed 001: "only the IP address
//   and protocol number is tracked").
//
// Verdicts: `lookup` says ESTABLISHED (a packet of a tracked flow, either direction), RELATED
// (an ICMP error quoting a tracked flow) or MISS. It never says INVALID: AWS documents no case
// where a security group drops a packet of a tracked flow for being out of state, so a packet
// that fits no entry (an echo request sent the wrong way, …) is a MISS and the rules judge it —
// the table can only add passes that tracking explains, never remove ones the rules give.
//
// Floods (Linux's nf_conntrack is the model, made attacker-aware). An entry is *assured* once it
// was answered: a reply seen, and for TCP the handshake done too (ESTABLISHED or later), so a
// SYN flood's half-open entries, answered by a SYN-ACK but never by the third ACK, are not.
// - Pressure: from PRESSURE_FRACTION (90%) full, an unassured entry inserted or refreshed gets at
//   most UNANSWERED_UNDER_PRESSURE_MS (10 s); those that expire so count `earlyExpired`.
// - Full: `track` first reclaims an expired entry (a bounded scan from the sweep cursor), then,
//   unless `evictUnreplied` is false, evicts one entry among the next EVICT_ENTRIES entries
//   (`evictOne`: the unassured entry of the heaviest source, the least recently seen among
//   equals; an over-share interface's unassured entries first, its assured ones last), and
//   otherwise refuses and counts `insertFailures` (and `shareRefusals` when the refused flow's
//   interface held its share).
// - Sources: per originator address (hashed into SOURCE_BUCKETS counters), the unassured entries
//   it holds. A new flow may evict only entries of a source at least as heavy as its own, by
//   order of magnitude: a flood from one address can only replace its own entries, never a
//   light source's pending query; a new light source evicts the flood.
// - Share: an interface's share is the capacity over the interfaces holding entries. In a full
//   table an interface at its share may replace only its own unassured entries; one below it may
//   also evict an over-share interface's assured entries, so no interface keeps more than its
//   share while another needs room. Below full nothing is refused: the share only decides who
//   gives way.
// A refused or evicted flow is still judged by the rules — the table can only take away passes
// that tracking explains, so a full table never lets through what the rules would not allow.
//
// Why one file past 400 lines: it is one concept, the open-addressed record table, and its size is
// the record layout's. Every method reads and writes the same 16-word records through the same
// three views (u, s, f) at word offsets (W_*, F_EXPIRES) private to this file, with the scratch key
// beside them, and the layout's invariants (one empty slot ends every probe, backward-shift
// deletion instead of tombstones, the sweep cursor and `earliest` bound, the per-interface and
// per-source counts the flood policy reads, kept in step by every insert and by removeAt) hold
// only if every writer keeps them. The per-packet path (lookupNow → find → matches → update → timeoutOf, trackMissNow →
// trackKeyed) needs these as monomorphic fields of one class so V8 inlines it; moving keying,
// probing, eviction or the diagnostics into other modules would either hand the layout and its
// invariants to them or put a call boundary on every packet. What does not touch the records lives
// beside it: the TCP state machine (tcp-state.ts), the ICMP kinds (icmp-kinds.ts), the timeouts
// (timeouts.ts), hashing (flow-hash.ts) and where the records are placed (record-memory.ts).
import type { ConntrackTimeouts } from '../model/model-view.js';
import { IpProto, type PacketView, type QuotedHeader } from '../packet/packet-view.js';
import { hashFinish, hashWord } from './flow-hash.js';
import { recordMemory, type RecordAllocator, type RecordMemoryKind } from './record-memory.js';
import { icmpRequestType, isIcmpError, isIcmpProtocol } from './icmp-kinds.js';
import { TCP_STATE_NAMES, tcpHandshakeDone, tcpInitialSenderIsOriginator, tcpInitialState, tcpNextState, tcpTimeoutMs, TcpState } from './tcp-state.js';
import { portlessTimeoutMs, PRESSURE_FRACTION, UNANSWERED_UNDER_PRESSURE_MS } from './timeouts.js';

export const CT_MISS = 0;
export const CT_ESTABLISHED = 1;
export const CT_RELATED = 2;

/** The largest interface index a key can hold. */
export const MAX_INTERFACE_INDEX = 0xffff;

export interface ConntrackOptions {
  /** entries the table holds, all interfaces together (default 1 << 20) */
  capacity?: number;
  /**
   * distinct home slots, rounded up to a power of two and at most `slots` (default: all of them);
   * tests use 1 so that every key collides into one cluster starting at slot 0
   */
  buckets?: number;
  /** hash seed (default: random per table) */
  seed?: number;
  /** evict an unassured (or an over-share interface's) entry when full instead of refusing (default true) */
  evictUnreplied?: boolean;
  /** the clock to read (`clock[0]`, ms) in lookupNow/trackNow; the dataplane shares one */
  clock?: Float64Array;
  /**
   * places the records (capture/huge-pages.ts's `hugePageMemory` puts them on huge pages); without
   * it, or when it declines, they go in a WebAssembly memory
   */
  memory?: RecordAllocator;
}

/** One entry as `entriesOf` reports it, for explain, logs and tests. */
export interface ConntrackEntryInfo {
  ifIndex: number;
  ipVersion: number;
  protocol: number;
  /** the endpoint that opened the flow, then the other; words as in PacketView */
  originator: number[];
  originatorPort: number;
  responder: number[];
  responderPort: number;
  /** ICMP queries: the identifier */
  icmpId: number;
  /** TCP state name, `UDP` / `UDP_STREAM`, `ICMP`, or `OTHER` */
  state: string;
  seenReply: boolean;
  /** answered (TCP: handshake done): never evicted for another source's flows */
  assured: boolean;
  /** the managed side opened the flow (tracked going out) */
  openedInside: boolean;
  /** an unanswered flow whose timeout was cut to UNANSWERED_UNDER_PRESSURE_MS */
  earlyTimeout: boolean;
  expiresMs: number;
}

// Record layout, in 32-bit words (expiry: the double at F_EXPIRES of the record's 8 doubles).
// An empty slot has FLAGS 0 and EXPIRES 0; every live one has the LIVE flag.
const STRIDE = 16;
const F_STRIDE = 8;
const W_HASH = 0;
/** ifIndex << 16 | protocol << 8 | ipVersion */
const W_INFO = 1;
/** port A << 16 | port B; ICMP queries: identifier << 16 | request type */
const W_PORTS = 2;
/** the originator's source bucket (see sourceBucket) */
const W_SOURCE = 3;
const W_A = 4;
const W_B = 8;
/** TCP state; UDP: direction changes seen (saturating) */
const W_STATE = 12;
const W_FLAGS = 13;
const F_EXPIRES = 7;

const LIVE = 1;
const ORIGINATOR_IS_A = 2;
const SEEN_REPLY = 4;
/** UDP: the last packet came from the originator */
const LAST_FROM_ORIGINATOR = 8;
/** answered (TCP: the handshake done too); counted in its source's bucket while not */
const ASSURED = 16;
/** unassured, its timeout cut to UNANSWERED_UNDER_PRESSURE_MS */
const EARLY = 32;
/** endpoint A is the managed side of the entry's interface (the flow was tracked going out from A) */
const INSIDE_IS_A = 64;

/** UDP direction changes after which a flow has seen more than one request-response. */
const UDP_STREAM_TURNS = 3;
/** slots examined for an expired entry when the table is full and one might exist */
const RECLAIM_BUDGET = 1024;
/**
 * entries examined for one to evict when nothing has expired, more than the 16 the chained table
 * looked at (Linux's early_drop: 8), so that a full table of half-answered flows finds a
 * candidate as surely as it did. Counted in entries, not slots: evicting from the cursor's
 * window thins the slots behind it, and a fixed window of slots came up empty.
 */
const EVICT_ENTRIES = 32;
/** and at most this many slots walked for them (a full table is never emptier than 3/8) */
const EVICT_SLOTS = 1024;
/**
 * per-source counters of unassured entries: 16 KiB, in cache. Sources sharing a bucket add up,
 * which only ever makes a source look heavier; the hash is seeded, so a sender cannot aim at the
 * bucket of another.
 */
const SOURCE_BUCKETS = 1 << 12;
/**
 * a source's weight is the order of magnitude of its unassured entries over 2^LIGHT_SHIFT: below
 * 8 every source weighs the same, so the few entries that forged sources leave in each bucket of
 * a spread-out flood are noise, not weight
 */
const LIGHT_SHIFT = 3;
// evictOne's tiers, best victim first; within the unassured ones, +64 opened from outside, + weight
const RANK_OVER_SHARE_UNASSURED = 3 << 8;
const RANK_OVER_SHARE_ASSURED = 2 << 8;
const RANK_UNASSURED = 1 << 8;
/** the largest capacity: 2^25 flows in 2^26 slots, 4 GiB, the most a WebAssembly memory holds */
const MAX_CAPACITY = 1 << 25;
/** words per 4 KiB page, to touch each page of the records once */
const PAGE_WORDS = 1024;

/** A source's weight: the order of magnitude of its unassured entries, 0 below 2^LIGHT_SHIFT. */
function weightOf(unanswered: number): number {
  return 32 - Math.clz32(unanswered >>> LIGHT_SHIFT);
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class ConntrackTable {
  readonly capacity: number;
  /** record slots: a power of two, at least 4/3 of `capacity` */
  readonly slots: number;
  /** entries held, including expired ones not yet reclaimed */
  size = 0;
  inserts = 0;
  /** entries removed because their timeout passed (lazily, by sweep, or to make room) */
  expired = 0;
  /** `track` calls refused because the table was full */
  insertFailures = 0;
  /** entries evicted to make room: evictedUnanswered + evictedOverShare */
  evictions = 0;
  /** unassured entries evicted to make room (early drop) */
  evictedUnanswered = 0;
  /** assured entries of an interface over its share evicted for one below it */
  evictedOverShare = 0;
  /** unassured entries removed after the timeout cut under pressure (also in `expired`) */
  earlyExpired = 0;
  /** refusals (also in `insertFailures`) of a flow whose interface held its share of a full table */
  shareRefusals = 0;
  /** size from which the table is under pressure (see PRESSURE_FRACTION) */
  readonly pressureAt: number;
  /** where the records live (see record-memory.ts): `huge-pages` is the fast case */
  readonly memoryKind: RecordMemoryKind;

  /** the records as words: hash, info, ports, addresses, state, flags */
  private readonly u: Uint32Array;
  /** the same memory, signed: the scalar key words compare and move as int32 */
  private readonly s: Int32Array;
  /** the same memory as doubles: expiry times */
  private readonly f: Float64Array;
  /**
   * The time, in ms, of the packet at hand: `clock[0]`. Kept in a typed array, not passed along:
   * a double argument would be boxed (see i32be in packet/byte-order.ts).
   */
  readonly clock: Float64Array;
  /** slots - 1: probe sequences wrap with it */
  private readonly slotMask: number;
  /** home slot = hash & homeMask (slotMask unless `buckets` narrows it) */
  private readonly homeMask: number;
  private readonly seed: number;
  private readonly evictUnreplied: boolean;

  /** per interface index: TCP established, UDP, UDP stream timeouts in ms (set by every track) */
  private ifTimeouts = new Float64Array(0);
  /** per interface index: live entries (grown with ifTimeouts) */
  private ifEntries = new Int32Array(0);
  /** interfaces with at least one entry: the share is capacity / this */
  private activeInterfaces = 0;
  /** per source bucket: unassured entries */
  private readonly unanswered = new Int32Array(SOURCE_BUCKETS);

  // Sweep state. `earliest` is a lower bound of every live entry's expiry: while `now` is not
  // past it nothing can have expired, so a full table refuses in O(1) instead of scanning.
  private cursor = 0;
  private evictCursor = 0;
  private passMin = Infinity;
  private earliest = Infinity;

  // The key of the packet at hand.
  private readonly kA = new Uint32Array(4);
  private readonly kB = new Uint32Array(4);
  private kInfo = 0;
  private kPorts = 0;
  private kHash = 0;
  /** the packet's sender is endpoint A */
  private kSenderIsA = false;
  /** after a find() that missed: the empty slot that ended the probe, where the key would go */
  private kEmpty = 0;
  /**
   * lookupNow(missIf, missPkt) missed, and since then no key was built and no entry moved: the
   * scratch key and `kEmpty` still describe that packet (see trackMissNow).
   */
  private missKeyed = false;
  private missIf = -1;
  private missPkt: PacketView | null = null;

  constructor(options: ConntrackOptions = {}) {
    const capacity = options.capacity ?? 1 << 20;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`conntrack capacity must be an integer in 1..${MAX_CAPACITY}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.slots = nextPowerOfTwo(Math.ceil((capacity * 4) / 3));
    this.slotMask = this.slots - 1;
    this.homeMask = Math.min(nextPowerOfTwo(Math.max(1, options.buckets ?? this.slots)), this.slots) - 1;
    const records = recordMemory(this.slots * STRIDE * 4, options.memory);
    this.memoryKind = records.kind;
    this.u = new Uint32Array(records.buffer, 0, this.slots * STRIDE);
    this.s = new Int32Array(records.buffer, 0, this.slots * STRIDE);
    this.f = new Float64Array(records.buffer, 0, this.slots * F_STRIDE);
    // Touch every page now: the memory is committed lazily, and a first touch costs a page fault
    // (a microsecond or more) that would otherwise land on the packet that inserts there.
    for (let w = 0; w < this.s.length; w += PAGE_WORDS) this.s[w] = 0;
    this.seed = (options.seed ?? Math.floor(Math.random() * 0x100000000)) | 0;
    this.evictUnreplied = options.evictUnreplied ?? true;
    this.pressureAt = Math.ceil(capacity * PRESSURE_FRACTION);
    this.clock = options.clock ?? new Float64Array(1);
  }

  /** alias of `insertFailures`, the name the dataplane counters use */
  get fullDrops(): number {
    return this.insertFailures;
  }

  /**
   * Is `pkt` part of a tracked flow of interface `ifIndex`? Updates the flow's state and timer
   * when it is. `outbound` is not needed: the key is direction-free or oriented by message type.
   */
  lookup(ifIndex: number, pkt: PacketView, outbound: boolean, nowMs: number): number {
    void outbound;
    this.clock[0] = nowMs;
    return this.lookupNow(ifIndex, pkt);
  }

  /** As lookup, at the time in `clock[0]`: the per-packet path. */
  lookupNow(ifIndex: number, pkt: PacketView): number {
    this.missKeyed = false;
    const ver = pkt.ipVersion;
    if (ver !== 4 && ver !== 6) return CT_MISS;
    const proto = pkt.protocol;
    if (isIcmpProtocol(ver, proto)) {
      if (isIcmpError(ver, pkt.icmpType)) return this.lookupRelated(ifIndex, pkt.quoted);
      if (!this.keyIcmpQuery(ifIndex, ver, proto, pkt.src, pkt.dst, pkt.icmpType, pkt.icmpId)) return CT_MISS;
    } else {
      this.keyFlow(ifIndex, ver, proto, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
    }
    const i = this.find();
    if (i < 0) {
      this.missKeyed = true;
      this.missIf = ifIndex;
      this.missPkt = pkt;
      return CT_MISS;
    }
    this.update(i, pkt.tcpFlags);
    return CT_ESTABLISHED;
  }

  /**
   * Starts tracking the flow of `pkt`, which the rules allowed. Returns false only when the
   * table is full and nothing could be reclaimed or evicted (counted in `insertFailures`).
   * Packets that open nothing return true without an entry: ICMP errors, ICMP replies and
   * non-query ICMP messages, TCP RST. `outbound`: the packet leaves the interface (its sender is
   * the managed side), which decides who gives way in a full table, not what passes.
   */
  track(ifIndex: number, pkt: PacketView, outbound: boolean, nowMs: number, timeouts: ConntrackTimeouts): boolean {
    this.clock[0] = nowMs;
    return this.trackNow(ifIndex, pkt, timeouts, outbound);
  }

  /** As track, at the time in `clock[0]`: the per-packet path. */
  trackNow(ifIndex: number, pkt: PacketView, timeouts: ConntrackTimeouts, outbound: boolean): boolean {
    this.missKeyed = false;
    return this.trackKeyed(ifIndex, pkt, timeouts, outbound);
  }

  /**
   * As trackNow, for the packet whose `lookupNow(ifIndex, pkt)` was the table's last call and
   * said CT_MISS (the view unchanged since): that lookup's key and probe are reused instead of
   * built again. Any other sequence falls back to trackNow's full work.
   */
  trackMissNow(ifIndex: number, pkt: PacketView, timeouts: ConntrackTimeouts, outbound: boolean): boolean {
    this.missKeyed = this.missKeyed && ifIndex === this.missIf && pkt === this.missPkt;
    return this.trackKeyed(ifIndex, pkt, timeouts, outbound);
  }

  /** trackNow's work; the key and the probe are taken as they are when `missKeyed`. */
  private trackKeyed(ifIndex: number, pkt: PacketView, timeouts: ConntrackTimeouts, outbound: boolean): boolean {
    const keyed = this.missKeyed;
    this.missKeyed = false;
    this.setTimeouts(ifIndex, timeouts);
    const ver = pkt.ipVersion;
    if (ver !== 4 && ver !== 6) return true;
    const proto = pkt.protocol;
    let originatorIsA: boolean;
    let initial = 0;
    if (isIcmpProtocol(ver, proto)) {
      if (isIcmpError(ver, pkt.icmpType)) return true;
      if (!keyed && !this.keyIcmpQuery(ifIndex, ver, proto, pkt.src, pkt.dst, pkt.icmpType, pkt.icmpId)) return true;
      // An unsolicited reply opens nothing: only a request makes its reply expected.
      if (!this.kSenderIsA) return true;
      originatorIsA = true;
    } else {
      if (!keyed) this.keyFlow(ifIndex, ver, proto, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
      originatorIsA = this.kSenderIsA;
      if (proto === IpProto.TCP) {
        initial = tcpInitialState(pkt.tcpFlags);
        if (initial === TcpState.NONE) return true;
        if (!tcpInitialSenderIsOriginator(pkt.tcpFlags)) originatorIsA = !originatorIsA;
      }
    }
    if (!keyed) {
      const found = this.find();
      if (found >= 0) {
        this.update(found, pkt.tcpFlags);
        return true;
      }
    }
    let i = this.kEmpty;
    const source = this.sourceBucket(originatorIsA);
    if (this.size >= this.capacity) {
      if (!this.makeRoom(ifIndex, source, outbound === (originatorIsA === this.kSenderIsA))) {
        this.insertFailures++;
        if (this.evictUnreplied && this.atShare(ifIndex)) this.shareRefusals++;
        return false;
      }
      // Making room moved entries: the key's place is the first empty slot from its home now.
      i = this.emptySlotFrom(this.kHash & this.homeMask);
    }
    const w = i * STRIDE;
    const u = this.u;
    const a = this.kA;
    const b = this.kB;
    u[w + W_A] = a[0];
    u[w + W_A + 1] = a[1];
    u[w + W_A + 2] = a[2];
    u[w + W_A + 3] = a[3];
    u[w + W_B] = b[0];
    u[w + W_B + 1] = b[1];
    u[w + W_B + 2] = b[2];
    u[w + W_B + 3] = b[3];
    const sw = this.s;
    sw[w + W_PORTS] = this.kPorts;
    sw[w + W_INFO] = this.kInfo;
    sw[w + W_HASH] = this.kHash;
    sw[w + W_SOURCE] = source;
    let flags = LIVE | (originatorIsA ? ORIGINATOR_IS_A : 0) | LAST_FROM_ORIGINATOR;
    // SYN-ACK pickup: the sender is the responder, so a reply has been seen (not yet assured).
    if (originatorIsA !== this.kSenderIsA) flags |= SEEN_REPLY;
    if (outbound === this.kSenderIsA) flags |= INSIDE_IS_A;
    sw[w + W_STATE] = initial;
    // Every new entry starts unassured.
    this.unanswered[source]++;
    if (this.ifEntries[ifIndex]++ === 0) this.activeInterfaces++;
    this.size++;
    this.inserts++;
    let timeoutMs = this.timeoutOf(i);
    if (this.size >= this.pressureAt && timeoutMs > UNANSWERED_UNDER_PRESSURE_MS) {
      timeoutMs = UNANSWERED_UNDER_PRESSURE_MS;
      flags |= EARLY;
    }
    sw[w + W_FLAGS] = flags;
    this.expireAfter(i, timeoutMs);
    return true;
  }

  /** Removes expired entries among the next `budget` slots; returns how many. */
  sweep(nowMs: number, budget = 4096): number {
    this.clock[0] = nowMs;
    return this.scan(budget, false);
  }

  /** Forgets every flow of an interface (it was deleted or lost its index). Returns how many. */
  removeFlowsOf(ifIndex: number): number {
    let removed = 0;
    for (let i = 0; i < this.slots; ) {
      const w = i * STRIDE;
      if ((this.s[w + W_FLAGS] & LIVE) !== 0 && this.u[w + W_INFO] >>> 16 === ifIndex) {
        // Not i++: the shift may have moved a later entry of the cluster into slot i.
        this.removeAt(i);
        removed++;
      } else {
        i++;
      }
    }
    return removed;
  }

  /** Forgets everything (counters stay). */
  clear(): void {
    this.missKeyed = false;
    this.s.fill(0);
    this.ifEntries.fill(0);
    this.unanswered.fill(0);
    this.activeInterfaces = 0;
    this.size = 0;
    this.passMin = Infinity;
    this.earliest = Infinity;
  }

  /** The live entries of an interface, for explain and tests (allocates; not for the hot path). */
  entriesOf(ifIndex: number, nowMs = -Infinity): ConntrackEntryInfo[] {
    const out: ConntrackEntryInfo[] = [];
    for (let i = 0; i < this.slots; i++) {
      const w = i * STRIDE;
      const f = this.u[w + W_FLAGS];
      if ((f & LIVE) === 0 || this.u[w + W_INFO] >>> 16 !== ifIndex || nowMs > this.f[i * F_STRIDE + F_EXPIRES]) continue;
      const info = this.u[w + W_INFO];
      const proto = (info >>> 8) & 0xff;
      const ver = info & 0xff;
      const a = Array.from(this.u.subarray(w + W_A, w + W_A + (ver === 4 ? 1 : 4)));
      const b = Array.from(this.u.subarray(w + W_B, w + W_B + (ver === 4 ? 1 : 4)));
      const pa = this.u[w + W_PORTS] >>> 16;
      const pb = this.u[w + W_PORTS] & 0xffff;
      const icmp = isIcmpProtocol(ver, proto);
      const aOpened = (f & ORIGINATOR_IS_A) !== 0;
      let state = 'OTHER';
      if (proto === IpProto.TCP) state = TCP_STATE_NAMES[this.u[w + W_STATE]];
      else if (proto === IpProto.UDP) state = this.u[w + W_STATE] >= UDP_STREAM_TURNS ? 'UDP_STREAM' : 'UDP';
      else if (icmp) state = 'ICMP';
      out.push({
        ifIndex,
        ipVersion: ver,
        protocol: proto,
        originator: aOpened ? a : b,
        originatorPort: icmp ? 0 : aOpened ? pa : pb,
        responder: aOpened ? b : a,
        responderPort: icmp ? 0 : aOpened ? pb : pa,
        icmpId: icmp ? pa : 0,
        state,
        seenReply: (f & SEEN_REPLY) !== 0,
        assured: (f & ASSURED) !== 0,
        openedInside: ((f & INSIDE_IS_A) !== 0) === aOpened,
        earlyTimeout: (f & EARLY) !== 0,
        expiresMs: this.f[i * F_STRIDE + F_EXPIRES],
      });
    }
    return out;
  }

  /** Heap bytes the table's arrays hold. */
  get byteLength(): number {
    return this.u.byteLength;
  }

  /**
   * Where the flow of `pkt` lives: its home slot and the slot holding its entry (-1 when none,
   * expired or not), or null when the packet has no key (an ICMP error or non-query message).
   * For tests and diagnostics: it changes nothing.
   */
  placeOf(ifIndex: number, pkt: PacketView): { home: number; slot: number } | null {
    const ver = pkt.ipVersion;
    if (ver !== 4 && ver !== 6) return null;
    if (isIcmpProtocol(ver, pkt.protocol)) {
      if (!this.keyIcmpQuery(ifIndex, ver, pkt.protocol, pkt.src, pkt.dst, pkt.icmpType, pkt.icmpId)) return null;
    } else {
      this.keyFlow(ifIndex, ver, pkt.protocol, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
    }
    const home = this.kHash & this.homeMask;
    for (let i = home; ; i = (i + 1) & this.slotMask) {
      if ((this.s[i * STRIDE + W_FLAGS] & LIVE) === 0) return { home, slot: -1 };
      if (this.matches(i)) return { home, slot: i };
    }
  }

  /**
   * The home slot of `pkt`'s flow, or -1 when it has no key here (not IP, an ICMP error or
   * non-query message). The interface is not part of the hash, so one slot serves both
   * interfaces of a frame between two managed ones. Builds the scratch key: call it before a
   * batch's lookups, not between a lookupNow and its trackMissNow.
   */
  homeOf(pkt: PacketView): number {
    this.missKeyed = false;
    const ver = pkt.ipVersion;
    if (ver !== 4 && ver !== 6) return -1;
    const proto = pkt.protocol;
    if (isIcmpProtocol(ver, proto)) {
      if (isIcmpError(ver, pkt.icmpType)) return -1;
      if (!this.keyIcmpQuery(0, ver, proto, pkt.src, pkt.dst, pkt.icmpType, pkt.icmpId)) return -1;
    } else {
      this.keyFlow(0, ver, proto, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
    }
    return this.kHash & this.homeMask;
  }

  /**
   * Reads the first record of each home slot in `homes[0, count)` (-1 entries skipped), all in one
   * tight loop. JS has no prefetch instruction, but these loads are independent, so the CPU keeps
   * their cache misses in flight together; the lookups that follow then find the lines in cache.
   * One dependent DRAM miss per frame was the pipeline's largest cost (BENCHMARKS.md, section 2).
   * Returns a value derived from the words read, so the JIT cannot drop the loads.
   */
  touchHomes(homes: Int32Array, count: number): number {
    const sw = this.s;
    let acc = 0;
    for (let j = 0; j < count; j++) {
      const h = homes[j]!;
      if (h >= 0) acc ^= sw[h * STRIDE + W_FLAGS]!;
    }
    return acc;
  }

  // ---- keys -------------------------------------------------------------------------------

  /** TCP/UDP/other: endpoints ordered so both directions build the same key. */
  private keyFlow(
    ifIndex: number,
    ver: number,
    proto: number,
    src: Uint32Array,
    dst: Uint32Array,
    srcPort: number,
    dstPort: number,
  ): void {
    if (proto !== IpProto.TCP && proto !== IpProto.UDP) {
      srcPort = 0;
      dstPort = 0;
    }
    let order = 0; // < 0: src is lower
    const words = ver === 4 ? 1 : 4;
    for (let k = 0; k < words && order === 0; k++) order = src[k] - dst[k];
    if (order === 0) order = srcPort - dstPort;
    const srcIsA = order <= 0;
    this.setKey(ifIndex, ver, proto, srcIsA ? src : dst, srcIsA ? dst : src, srcIsA ? srcPort : dstPort, srcIsA ? dstPort : srcPort);
    this.kSenderIsA = srcIsA;
  }

  /** ICMP queries: A is the requester. False when the message is not a query. */
  private keyIcmpQuery(
    ifIndex: number,
    ver: number,
    proto: number,
    src: Uint32Array,
    dst: Uint32Array,
    type: number,
    id: number,
  ): boolean {
    const requestType = icmpRequestType(ver, type);
    if (requestType < 0) return false;
    const isRequest = type === requestType;
    this.setKey(ifIndex, ver, proto, isRequest ? src : dst, isRequest ? dst : src, id, requestType);
    this.kSenderIsA = isRequest;
    return true;
  }

  private setKey(ifIndex: number, ver: number, proto: number, a: Uint32Array, b: Uint32Array, portA: number, portB: number): void {
    const ka = this.kA;
    const kb = this.kB;
    ka[0] = a[0];
    kb[0] = b[0];
    if (ver === 6) {
      ka[1] = a[1];
      ka[2] = a[2];
      ka[3] = a[3];
      kb[1] = b[1];
      kb[2] = b[2];
      kb[3] = b[3];
    } else {
      // The decoder may leave an earlier IPv6 packet's words behind: an IPv4 key is word 0 only.
      ka[1] = ka[2] = ka[3] = 0;
      kb[1] = kb[2] = kb[3] = 0;
    }
    this.missKeyed = false;
    this.kInfo = ((ifIndex & 0xffff) << 16) | ((proto & 0xff) << 8) | ver;
    this.kPorts = ((portA & 0xffff) << 16) | (portB & 0xffff);
    // The interface is left out of the hash (it is still part of the key): a frame between two
    // managed interfaces looks up the same bucket twice, and the second time it is in cache.
    // Words go in as int32 (`| 0`), never heap numbers: see i32be in packet/byte-order.ts.
    let h = hashWord(this.seed, this.kInfo & 0xffff);
    h = hashWord(h, this.kPorts);
    h = hashWord(h, ka[0] | 0);
    h = hashWord(h, kb[0] | 0);
    if (ver === 6) {
      h = hashWord(h, ka[1] | 0);
      h = hashWord(h, ka[2] | 0);
      h = hashWord(h, ka[3] | 0);
      h = hashWord(h, kb[1] | 0);
      h = hashWord(h, kb[2] | 0);
      h = hashWord(h, kb[3] | 0);
    }
    this.kHash = hashFinish(h, ver === 6 ? 10 : 4);
  }

  /** RFC 792 / RFC 4443: the error quotes the original packet; find the flow it belongs to. */
  private lookupRelated(ifIndex: number, q: QuotedHeader): number {
    if (!q.valid) return CT_MISS;
    const ver = q.ipVersion;
    if (ver !== 4 && ver !== 6) return CT_MISS;
    const proto = q.protocol;
    if (isIcmpProtocol(ver, proto)) {
      if (!this.keyIcmpQuery(ifIndex, ver, proto, q.src, q.dst, q.icmpType, q.icmpId)) return CT_MISS;
    } else {
      this.keyFlow(ifIndex, ver, proto, q.src, q.dst, q.srcPort, q.dstPort);
    }
    // An error does not refresh the flow's timer: it is not traffic of the flow.
    return this.find() >= 0 ? CT_RELATED : CT_MISS;
  }

  // ---- entries ----------------------------------------------------------------------------

  /**
   * The entry with the scratch key, or -1 (and then `kEmpty` is the empty slot that ended the
   * probe). Expired entries met on the way are reclaimed.
   */
  private find(): number {
    const nowMs = this.clock[0];
    const sw = this.s;
    const mask = this.slotMask;
    const hash = this.kHash;
    let i = hash & this.homeMask;
    for (;;) {
      const w = i * STRIDE;
      if ((sw[w + W_FLAGS] & LIVE) === 0) {
        this.kEmpty = i;
        return -1;
      }
      if (nowMs > this.f[i * F_STRIDE + F_EXPIRES]) {
        // Not the next slot: the shift may have moved a later entry of the cluster into this one.
        this.expire(i);
        continue;
      }
      if (sw[w + W_HASH] === hash && this.matches(i)) return i;
      i = (i + 1) & mask;
    }
  }

  /** Does slot `i` hold the scratch key? */
  private matches(i: number): boolean {
    const w = i * STRIDE;
    const u = this.u;
    const sw = this.s;
    const ka = this.kA;
    const kb = this.kB;
    // The key's scalar words are int32 (see i32be in packet/byte-order.ts): compare
    // them through the signed view of the same memory.
    return (
      sw[w + W_HASH] === this.kHash &&
      sw[w + W_INFO] === this.kInfo &&
      sw[w + W_PORTS] === this.kPorts &&
      u[w + W_A] === ka[0] &&
      u[w + W_B] === kb[0] &&
      u[w + W_A + 1] === ka[1] &&
      u[w + W_A + 2] === ka[2] &&
      u[w + W_A + 3] === ka[3] &&
      u[w + W_B + 1] === kb[1] &&
      u[w + W_B + 2] === kb[2] &&
      u[w + W_B + 3] === kb[3]
    );
  }

  /** The first empty slot at or after `i`; there always is one (slots > capacity). */
  private emptySlotFrom(i: number): number {
    while ((this.s[i * STRIDE + W_FLAGS] & LIVE) !== 0) i = (i + 1) & this.slotMask;
    return i;
  }

  /** A packet of entry `i` went by (its key is in scratch): advance state, restart the timer. */
  private update(i: number, tcpFlags: number): void {
    const w = i * STRIDE;
    const sw = this.s;
    let f = sw[w + W_FLAGS];
    const fromOriginator = this.kSenderIsA === ((f & ORIGINATOR_IS_A) !== 0);
    if (!fromOriginator) f |= SEEN_REPLY;
    const proto = (sw[w + W_INFO] >>> 8) & 0xff;
    if (proto === IpProto.TCP) {
      const before = sw[w + W_STATE];
      const after = tcpNextState(before, tcpFlags, fromOriginator);
      if (after === TcpState.SYN_SENT && before !== TcpState.SYN_SENT) {
        // A fresh SYN after the close: a new connection on the same ports, opened by its sender,
        // unanswered again and counted against the sender's source.
        f = this.kSenderIsA ? f | ORIGINATOR_IS_A : f & ~ORIGINATOR_IS_A;
        if ((f & ASSURED) === 0) this.unanswered[sw[w + W_SOURCE]]--;
        f &= ~(SEEN_REPLY | ASSURED);
        const source = this.sourceBucket(this.kSenderIsA);
        sw[w + W_SOURCE] = source;
        this.unanswered[source]++;
      }
      sw[w + W_STATE] = after;
    } else if (proto === IpProto.UDP) {
      const lastFromOriginator = (f & LAST_FROM_ORIGINATOR) !== 0;
      if (fromOriginator !== lastFromOriginator) {
        if (sw[w + W_STATE] < UDP_STREAM_TURNS) sw[w + W_STATE]++;
        f ^= LAST_FROM_ORIGINATOR;
      }
    }
    let timeoutMs = this.timeoutOf(i);
    // Assured entries (nearly every packet) test one bit here.
    if ((f & ASSURED) === 0) {
      if ((f & SEEN_REPLY) !== 0 && (proto !== IpProto.TCP || tcpHandshakeDone(sw[w + W_STATE]))) {
        f = (f | ASSURED) & ~EARLY;
        this.unanswered[sw[w + W_SOURCE]]--;
      } else if (this.size >= this.pressureAt && timeoutMs > UNANSWERED_UNDER_PRESSURE_MS) {
        timeoutMs = UNANSWERED_UNDER_PRESSURE_MS;
        f |= EARLY;
      } else {
        f &= ~EARLY;
      }
    }
    sw[w + W_FLAGS] = f;
    this.expireAfter(i, timeoutMs);
  }

  /**
   * The bucket of the originator's address (endpoint A when `originatorIsA`) of the scratch key,
   * seeded apart from the key's hash.
   */
  private sourceBucket(originatorIsA: boolean): number {
    const o = originatorIsA ? this.kA : this.kB;
    let h = hashWord(~this.seed, o[0] | 0);
    if ((this.kInfo & 0xff) === 6) {
      h = hashWord(h, o[1] | 0);
      h = hashWord(h, o[2] | 0);
      h = hashWord(h, o[3] | 0);
    }
    return hashFinish(h, 4) & (SOURCE_BUCKETS - 1);
  }

  /**
   * Does interface `ifIndex` hold its share while another interface holds entries too? Its share:
   * the capacity over the interfaces holding entries, it included. Alone it has no share to keep.
   */
  private atShare(ifIndex: number): boolean {
    const held = this.ifEntries[ifIndex];
    const interfaces = this.activeInterfaces + (held === 0 ? 1 : 0);
    return interfaces > 1 && held >= Math.floor(this.capacity / interfaces);
  }

  /** When the entry at `i` was last seen: its expiry less the timeout it was given. */
  private lastSeenOf(i: number): number {
    const expires = this.f[i * F_STRIDE + F_EXPIRES];
    return expires - ((this.s[i * STRIDE + W_FLAGS] & EARLY) !== 0 ? UNANSWERED_UNDER_PRESSURE_MS : this.timeoutOf(i));
  }

  private timeoutOf(i: number): number {
    const w = i * STRIDE;
    const info = this.s[w + W_INFO];
    const proto = (info >>> 8) & 0xff;
    const t = (info >>> 16) * 3;
    if (proto === IpProto.TCP) return tcpTimeoutMs(this.s[w + W_STATE], this.ifTimeouts[t]);
    if (proto === IpProto.UDP) return this.s[w + W_STATE] >= UDP_STREAM_TURNS ? this.ifTimeouts[t + 2] : this.ifTimeouts[t + 1];
    return portlessTimeoutMs(info & 0xff, proto);
  }

  /** The entry expires `timeoutMs` after `clock[0]`. */
  private expireAfter(i: number, timeoutMs: number): void {
    const expiresMs = this.clock[0] + timeoutMs;
    this.f[i * F_STRIDE + F_EXPIRES] = expiresMs;
    if (expiresMs < this.earliest) this.earliest = expiresMs;
    if (expiresMs < this.passMin) this.passMin = expiresMs;
  }

  private setTimeouts(ifIndex: number, timeouts: ConntrackTimeouts): void {
    const t = ifIndex * 3;
    if (t + 3 > this.ifTimeouts.length) this.growTimeouts(ifIndex);
    this.ifTimeouts[t] = timeouts.tcpEstablished * 1000;
    this.ifTimeouts[t + 1] = timeouts.udp * 1000;
    this.ifTimeouts[t + 2] = timeouts.udpStream * 1000;
  }

  private growTimeouts(ifIndex: number): void {
    if (!Number.isInteger(ifIndex) || ifIndex < 0 || ifIndex > MAX_INTERFACE_INDEX) {
      throw new RangeError(`conntrack interface index must be in 0..${MAX_INTERFACE_INDEX}, got ${ifIndex}`);
    }
    const grown = new Float64Array(Math.max(ifIndex + 1, 8, (this.ifTimeouts.length / 3) * 2) * 3);
    // The new slots stay 0: no entry reads them before its interface's `setTimeouts` (every insert
    // sets its interface's timeouts first), so they need no defaults (those are the model's
    // CONNTRACK_DEFAULTS, which reach here as an interface's timeouts).
    grown.set(this.ifTimeouts);
    this.ifTimeouts = grown;
    const entries = new Int32Array(grown.length / 3);
    entries.set(this.ifEntries);
    this.ifEntries = entries;
  }

  /**
   * The table is full and interface `ifIndex` wants room for a flow from source bucket `source`,
   * opened by the managed side or not: reclaim an expired entry or evict one. False when neither.
   */
  private makeRoom(ifIndex: number, source: number, openedInside: boolean): boolean {
    if (this.clock[0] > this.earliest) this.scan(RECLAIM_BUDGET, true);
    if (this.size >= this.capacity && this.evictUnreplied) this.evictOne(ifIndex, source, openedInside);
    return this.size < this.capacity;
  }

  /** Removes the expired entry at `i`, counted. */
  private expire(i: number): void {
    if ((this.s[i * STRIDE + W_FLAGS] & EARLY) !== 0) this.earlyExpired++;
    this.removeAt(i);
    this.expired++;
  }

  /**
   * Walks `budget` slots from the cursor removing expired entries (stopping at the first when
   * `stopAtFirst`). A full pass leaves in `earliest` the smallest expiry it saw, which with the
   * updates made meanwhile (see expireAfter) and the entries moved behind the cursor (see
   * removeAt) bounds every live entry's expiry from below.
   */
  private scan(budget: number, stopAtFirst: boolean): number {
    const nowMs = this.clock[0];
    let removed = 0;
    const n = this.slots;
    for (let k = 0; k < budget; k++) {
      const i = this.cursor;
      if ((this.s[i * STRIDE + W_FLAGS] & LIVE) !== 0) {
        const e = this.f[i * F_STRIDE + F_EXPIRES];
        if (nowMs > e) {
          this.expire(i);
          removed++;
          if (stopAtFirst) break;
          // The cursor stays: the shift may have moved a later entry into this slot.
          continue;
        }
        if (e < this.passMin) this.passMin = e;
      }
      if (++this.cursor === n) {
        this.cursor = 0;
        this.earliest = this.passMin;
        this.passMin = Infinity;
      }
    }
    return removed;
  }

  /**
   * Evicts one entry among the next EVICT_ENTRIES live entries from the cursor to make room for a flow of interface
   * `ifIndex` from source bucket `source`, or none. Who may go, best first:
   * 1. an unassured entry of an interface over its share,
   * 2. an assured entry of an interface over its share (only for an interface below its share:
   *    the share is its due, taken from whoever holds more than theirs),
   * 3. any other unassured entry.
   * In 1 and 3: those opened from outside before those the managed side opened (a flood from
   * forged sources always comes from outside, a pending query goes out), then the heaviest source
   * first (weightOf); and only entries whose source weighs at least as much as the new flow's, and,
   * for a flow opened from outside, only entries opened from outside too. An interface at its
   * share may evict only its own unassured entries. Among equals the least recently seen goes.
   */
  private evictOne(ifIndex: number, source: number, openedInside: boolean): void {
    const sw = this.s;
    const requesterOver = this.atShare(ifIndex);
    const share = Math.floor(this.capacity / (this.activeInterfaces + (this.ifEntries[ifIndex] === 0 ? 1 : 0)));
    const floor = weightOf(this.unanswered[source]);
    let best = -1;
    let bestRank = -1;
    let bestSeen = Infinity;
    const n = this.slots;
    const slots = Math.min(EVICT_SLOTS, n);
    let seen = 0;
    for (let k = 0; k < slots && seen < EVICT_ENTRIES; k++) {
      const i = this.evictCursor;
      if (++this.evictCursor === n) this.evictCursor = 0;
      const w = i * STRIDE;
      const f = sw[w + W_FLAGS];
      if ((f & LIVE) === 0) continue;
      seen++;
      const owner = sw[w + W_INFO] >>> 16;
      const ownerOver = this.ifEntries[owner] > share;
      let rank: number;
      if ((f & ASSURED) === 0) {
        if (requesterOver && owner !== ifIndex) continue;
        const weight = weightOf(this.unanswered[sw[w + W_SOURCE]]);
        if (weight < floor) continue;
        const openedOutside = ((f & INSIDE_IS_A) !== 0) !== ((f & ORIGINATOR_IS_A) !== 0);
        if (!openedInside && !openedOutside) continue;
        rank = (ownerOver ? RANK_OVER_SHARE_UNASSURED : RANK_UNASSURED) + (openedOutside ? 64 : 0) + weight;
      } else {
        if (requesterOver || !ownerOver || owner === ifIndex) continue;
        rank = RANK_OVER_SHARE_ASSURED;
      }
      if (rank < bestRank) continue;
      const lastSeen = this.lastSeenOf(i);
      if (rank > bestRank || lastSeen < bestSeen) {
        best = i;
        bestRank = rank;
        bestSeen = lastSeen;
      }
    }
    if (best < 0) return;
    if (bestRank === RANK_OVER_SHARE_ASSURED) this.evictedOverShare++;
    else this.evictedUnanswered++;
    this.removeAt(best);
    this.evictions++;
  }

  /**
   * Empties slot `i` and closes the gap: each later entry of the cluster whose home is not
   * between the gap and itself moves back into the gap, which moves on to where it was. A moved
   * entry may jump from ahead of the sweep cursor to behind it and so miss this pass: its
   * expiry goes into `passMin`, so the pass's `earliest` still bounds it.
   */
  private removeAt(i: number): void {
    this.missKeyed = false;
    const sw = this.s;
    const wi = i * STRIDE;
    if (--this.ifEntries[sw[wi + W_INFO] >>> 16] === 0) this.activeInterfaces--;
    if ((sw[wi + W_FLAGS] & ASSURED) === 0) this.unanswered[sw[wi + W_SOURCE]]--;
    const mask = this.slotMask;
    const homeMask = this.homeMask;
    let gap = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const wj = j * STRIDE;
      if ((sw[wj + W_FLAGS] & LIVE) === 0) break;
      const home = sw[wj + W_HASH] & homeMask;
      // Probe distances, modulo the table: home → j, and gap → j. The entry may fill the gap
      // when its home is at or before the gap, i.e. when the gap is no farther from j than home.
      if (((j - home) & mask) >= ((j - gap) & mask)) {
        const wg = gap * STRIDE;
        for (let k = 0; k < STRIDE; k++) sw[wg + k] = sw[wj + k];
        const e = this.f[j * F_STRIDE + F_EXPIRES];
        if (e < this.passMin) this.passMin = e;
        gap = j;
      }
    }
    const wg = gap * STRIDE;
    sw[wg + W_FLAGS] = 0;
    this.f[gap * F_STRIDE + F_EXPIRES] = 0;
    this.size--;
  }
}
