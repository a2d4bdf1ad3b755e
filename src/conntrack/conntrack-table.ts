// The connection-tracking table of seed 001's "Connection tracking": one bounded table for all
// managed interfaces, the interface index part of every key, so flows never leak between them.
// Its records are open-addressed, one 64-byte record per cache line, a lookup one cache miss,
// deletion a backward shift instead of a tombstone (record-layout.ts says how and why).
// Nothing is allocated per packet: the key of the packet at hand is built in preallocated
// scratch fields, then compared word by word.
//
// Keys: scratch-key.ts (TCP/UDP by ordered endpoints, ICMP queries oriented by requester,
// other protocols by address pair and protocol number).
//
// Verdicts: `lookup` says ESTABLISHED (a packet of a tracked flow, either direction), RELATED
// (an ICMP error quoting a tracked flow) or MISS. It never says INVALID: AWS documents no case
// where a security group drops a packet of a tracked flow for being out of state, so a packet
// that fits no entry (an echo request sent the wrong way, …) is a MISS and the rules judge it —
// the table can only add passes that tracking explains, never remove ones the rules give.
//
// Floods: an entry is *assured* once it was answered (TCP: the handshake done too). From
// PRESSURE_FRACTION full an unassured entry inserted or refreshed gets at most
// UNANSWERED_UNDER_PRESSURE_MS; a full table reclaims an expired entry, else evicts one that the
// flood policy names, else refuses (flood-policy.ts; eviction.ts says who gives way). A refused
// or evicted flow is still judged by the rules, so a full table never lets through what the rules
// would not allow.
//
// Memory follows the flows: the table starts at `minSlots` (2 MiB) and doubles when half full,
// up to the slots `capacity` needs, and a sweep shrinks it when its flows have gone; a resize
// migrates the old table's entries a few per insert (record-growth.ts), so no packet waits for a
// whole rehash.
//
// Established flows in one lookup: a record also remembers which interface each endpoint's
// address is on, under the caller's address-map generation (flow-endpoints.ts).
//
// The table is one class chain, each link a module with one job:
//   ScratchKey (scratch-key.ts)             the key of the packet at hand: keying, hashing, compare, staged keys
//   RecordStore (record-store.ts)           the records, their counts, removal by backward shift
//   RecordGrowth (record-growth.ts)         resize and the incremental migration of the old table
//   RecordExpiry (record-expiry.ts)         expiry times and the sweep's walk from its cursor
//   FlowEndpoints (flow-endpoints.ts)       endpoint stamping, lookupFlowNow's interface-free probe
//   EntryTimeouts (entry-timeouts.ts)       per-interface timeouts, the timeout an entry gets
//   FloodPolicy (flood-policy.ts)           making room in a full table, the pressure threshold, counters
//   TableMaintenance (table-maintenance.ts) between packets: sweep, removeFlowsOf, clear, entriesOf, placeOf
//   ConntrackTable (this file)              the per-packet lookups and tracks, TCP/UDP state
// A chain, not objects of their own or virtual hooks: the per-packet path (lookupNow → find →
// matches → update → timeoutOf, trackMissNow → trackKeyed) reads and writes the same 16-word
// records through the same three views (u, s, f) with the scratch key beside them as monomorphic
// fields of one object (one concrete class, one hidden class), so V8 inlines it as when it was one
// class; a second object would put its loads on every packet. No link calls a method a later
// link defines. The chain together is the records' only writer: the layout's invariants (one
// empty slot ends every probe, backward-shift deletion, the sweep cursor and the `earliest` bound
// that every expireAfter lowers, the per-interface and per-source counts the flood policy reads,
// kept in step by every insert and by removeAt) hold because every write is in it. What only reads
// the records lives beside it: the layout's word offsets and flags (record-layout.ts), which
// entry a full table evicts (eviction.ts), the entries described for people (entry-info.ts); and
// what does not touch them: the TCP state machine (tcp-state.ts), the ICMP kinds (icmp-kinds.ts),
// the timeouts (timeouts.ts), hashing (flow-hash.ts) and where the records are placed
// (record-memory.ts).
import type { ConntrackTimeouts } from '../model/model-view.js';
import { IpProto, type PacketView, type QuotedHeader } from '../packet/packet-view.js';
import type { RecordAllocator } from './record-memory.js';
import { isIcmpError, isIcmpProtocol } from './icmp-kinds.js';
import { Keyed } from './scratch-key.js';
import { TableMaintenance } from './table-maintenance.js';
import { Double, Endpoints, Flag, MAX_CAPACITY, nextPowerOfTwo, slotsFor, Udp, Word } from './record-layout.js';
import { tcpHandshakeDone, tcpInitialSenderIsOriginator, tcpInitialState, tcpNextState, TcpState } from './tcp-state.js';
import { UNANSWERED_UNDER_PRESSURE_MS } from './timeouts.js';

export const CT_MISS = 0;
export const CT_ESTABLISHED = 1;
export const CT_RELATED = 2;

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
  /**
   * record slots the table starts with and never shrinks below, a power of two (default
   * INITIAL_SLOTS, or all the slots `capacity` needs when that is fewer); the table grows as it
   * fills (see resize) up to the slots `capacity` needs
   */
  initialSlots?: number;
  /**
   * old-table slots migrated per insert while resizing (default MIGRATE_BUDGET; tests use 1 so
   * that migrations last); Infinity moves them all as the table resizes (replay: see record-growth.ts)
   */
  migrateBudget?: number;
}

/**
 * slots a table starts with: 2 MiB of records, one huge page (so a table that starts on huge
 * pages stays on them), 16,384 flows before it first grows
 */
const INITIAL_SLOTS = 1 << 15;
/**
 * old-table slots each insert migrates while the table grows or shrinks (see resize): with the
 * growth at half full, the old table is empty long before the new one is half full in turn
 */
const MIGRATE_BUDGET = 16;
export class ConntrackTable extends TableMaintenance {
  inserts = 0;

  private missIf = -1;
  private missPkt: PacketView | null = null;

  constructor(options: ConntrackOptions = {}) {
    const capacity = options.capacity ?? 1 << 20;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`conntrack capacity must be an integer in 1..${MAX_CAPACITY}, got ${capacity}`);
    }
    const maxSlots = slotsFor(capacity);
    const initial = options.initialSlots ?? INITIAL_SLOTS;
    if (!Number.isInteger(initial) || initial < 4 || nextPowerOfTwo(initial) !== initial) {
      throw new RangeError(`conntrack initialSlots must be a power of two of at least 4, got ${initial}`);
    }
    const minSlots = Math.min(initial, maxSlots);
    super(
      capacity,
      options.evictUnreplied ?? true,
      (options.seed ?? Math.floor(Math.random() * 0x100000000)) | 0,
      minSlots,
      maxSlots,
      nextPowerOfTwo(Math.max(1, options.buckets ?? maxSlots)),
      options.memory,
      options.clock ?? new Float64Array(1),
      Math.max(1, Math.floor(options.migrateBudget ?? MIGRATE_BUDGET)),
    );
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
    this.keyed = Keyed.NONE;
    const ver = pkt.ipVersion;
    if (ver !== 4 && ver !== 6) return CT_MISS;
    const proto = pkt.protocol;
    if (isIcmpProtocol(ver, proto)) {
      if (isIcmpError(ver, pkt.icmpType)) return this.lookupRelated(ifIndex, pkt.quoted);
      if (!this.keyIcmpQuery(ifIndex, ver, proto, pkt.src, pkt.dst, pkt.icmpType, pkt.icmpId)) return CT_MISS;
    } else {
      this.keyFlow(ifIndex, ver, proto, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
    }
    this.keyed = Keyed.FLOW;
    return this.lookupKeyed(ifIndex, pkt);
  }

  /**
   * As lookupNow(ifIndex, pkt), for the frame the table last keyed in lookupNow, lookupFlowNow or
   * lookupFlowKeptNow (its first lookup, or its other interface's: a frame between two managed
   * interfaces): that key is reused, only its interface changes, so a frame is keyed and hashed
   * once. The calls between may be that frame's updateFlowNow, lookupSameNow and trackMissNow,
   * nothing else.
   */
  lookupSameNow(ifIndex: number, pkt: PacketView): number {
    this.missKeyed = false;
    const keyed = this.keyed;
    if (keyed === Keyed.NONE) return CT_MISS;
    if (keyed === Keyed.STALE) return this.lookupNow(ifIndex, pkt);
    this.kInfo = ((ifIndex & 0xffff) << 16) | (this.kInfo & 0xffff);
    if (keyed === Keyed.RELATED) return this.find() >= 0 ? CT_RELATED : CT_MISS;
    if (this.flowMissed && this.flowMissAt === this.layoutChanges) {
      // lookupFlowNow's probe already missed on every interface, and nothing moved since: a new
      // flow is probed once. (`kEmpty` is still the empty slot that ended that probe.)
      this.missKeyed = true;
      this.missIf = ifIndex;
      this.missPkt = pkt;
      return CT_MISS;
    }
    return this.lookupKeyed(ifIndex, pkt);
  }

  /** lookupNow's probe, the scratch key built. */
  private lookupKeyed(ifIndex: number, pkt: PacketView): number {
    const i = this.find();
    if (i < 0) {
      this.missKeyed = true;
      this.missIf = ifIndex;
      this.missPkt = pkt;
      return CT_MISS;
    }
    this.update(i, pkt.tcpFlags);
    if (this.endpointsKnown) this.stamp(i);
    return CT_ESTABLISHED;
  }

  /**
   * As homeOf, and keeps the key in row `row` (0 ≤ row < STAGED_KEYS) for lookupFlowKeptNow: a
   * staged frame is keyed and hashed once.
   */
  stageKey(pkt: PacketView, row: number): number {
    const home = this.homeOf(pkt);
    if (home < 0) return -1;
    this.keepKey(row);
    return home;
  }

  /**
   * lookupNow(ifIndex, pkt) for a record lookupFlowNow found: `i` is its slot (the found one, on
   * flowIf, or flowPartner, on the frame's other managed end `ifIndex`). Refreshes it.
   */
  updateFlowNow(i: number, ifIndex: number, pkt: PacketView): number {
    this.kInfo = ((ifIndex & 0xffff) << 16) | (this.kInfo & 0xffff);
    this.update(i, pkt.tcpFlags);
    // The partner's endpoints may be of an older generation than the record found.
    if (this.endpointsKnown) this.stamp(i);
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
    this.flowMissed = false;
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
        if (this.endpointsKnown) this.stamp(found);
        return true;
      }
    }
    let i = this.kEmpty;
    const source = this.sourceBucket(originatorIsA);
    if (this.size >= this.capacity) {
      if (!this.makeRoom(ifIndex, source, outbound === (originatorIsA === this.kSenderIsA))) return false;
      // Making room moved entries: the key's place is the first empty slot from its home now.
      i = this.emptySlotFrom(this.kHash & this.homeMask);
    }
    const w = i * Word.STRIDE;
    this.layoutChanges++;
    const u = this.u;
    const a = this.kA;
    const b = this.kB;
    u[w + Word.A] = a[0];
    u[w + Word.A + 1] = a[1];
    u[w + Word.A + 2] = a[2];
    u[w + Word.A + 3] = a[3];
    u[w + Word.B] = b[0];
    u[w + Word.B + 1] = b[1];
    u[w + Word.B + 2] = b[2];
    u[w + Word.B + 3] = b[3];
    const sw = this.s;
    sw[w + Word.PORTS] = this.kPorts;
    sw[w + Word.INFO] = this.kInfo;
    sw[w + Word.HASH] = this.kHash;
    sw[w + Word.SOURCE] = source;
    let flags = Flag.LIVE | (originatorIsA ? Flag.ORIGINATOR_IS_A : 0) | Flag.LAST_FROM_ORIGINATOR;
    // SYN-ACK pickup: the sender is the responder, so a reply has been seen (not yet assured).
    if (originatorIsA !== this.kSenderIsA) flags |= Flag.SEEN_REPLY;
    if (outbound === this.kSenderIsA) flags |= Flag.INSIDE_IS_A;
    sw[w + Word.STATE] = initial;
    // Every new entry starts unassured.
    this.unanswered[source]++;
    if (this.ifEntries[ifIndex]++ === 0) this.activeInterfaces++;
    this.size++;
    this.inserts++;
    let timeoutMs = this.timeoutOf(i);
    if (this.size >= this.pressureAt && timeoutMs > UNANSWERED_UNDER_PRESSURE_MS) {
      timeoutMs = UNANSWERED_UNDER_PRESSURE_MS;
      flags |= Flag.EARLY;
    }
    sw[w + Word.FLAGS] = flags;
    if (this.endpointsKnown) this.stamp(i);
    this.expireAfter(i, timeoutMs);
    // After the insert, never between its probe and its write: migrating moves entries about.
    // Growing first, even mid-migration (resize finishes it): past half full, the table would
    // soon have no empty slot to end a probe.
    if (this.size > this.growAt) this.resizeTo(this.slots * 2);
    else if (this.migrating) this.migrate(this.migrateBudget);
    return true;
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
   * Reads the first two records from each home slot in `homes[0, count)` (-1 entries skipped), all
   * in one tight loop. JS has no prefetch instruction, but these loads are independent, so the CPU
   * keeps their cache misses in flight together; the lookups that follow then find the lines in
   * cache. One dependent DRAM miss per frame was the pipeline's largest cost (BENCHMARKS.md,
   * section 2). The second record, the next line: a frame between two managed interfaces has a
   * record on each, the second inserted right after the first, so nearly always one slot past it
   * (and a record displaced by a collision sits there too); a CPU profile showed that second
   * lookup's miss as the largest single cost left. Returns a value derived from the words read,
   * so the JIT cannot drop the loads.
   */
  touchHomes(homes: Int32Array, count: number): number {
    const sw = this.s;
    // Masked: a home noted before the table shrank may lie past its end (a read, never a write).
    const mask = this.slotMask;
    let acc = 0;
    for (let j = 0; j < count; j++) {
      const h = homes[j]!;
      if (h >= 0) acc ^= sw[(h & mask) * Word.STRIDE + Word.FLAGS]! ^ sw[((h + 1) & mask) * Word.STRIDE + Word.FLAGS]!;
    }
    return acc;
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
    this.keyed = Keyed.RELATED;
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
      const w = i * Word.STRIDE;
      if ((sw[w + Word.FLAGS] & Flag.LIVE) === 0) {
        this.kEmpty = i;
        return this.migrating ? this.findOld() : -1;
      }
      if (nowMs > this.f[i * Double.STRIDE + Double.EXPIRES]) {
        // Not the next slot: the shift may have moved a later entry of the cluster into this one.
        this.expire(i);
        continue;
      }
      if (sw[w + Word.HASH] === hash && this.matches(this.u, sw, w)) return i;
      i = (i + 1) & mask;
    }
  }

  /** A packet of entry `i` went by (its key is in scratch): advance state, restart the timer. */
  private update(i: number, tcpFlags: number): void {
    const w = i * Word.STRIDE;
    const sw = this.s;
    let f = sw[w + Word.FLAGS];
    const fromOriginator = this.kSenderIsA === ((f & Flag.ORIGINATOR_IS_A) !== 0);
    if (!fromOriginator) f |= Flag.SEEN_REPLY;
    const proto = (sw[w + Word.INFO] >>> 8) & 0xff;
    if (proto === IpProto.TCP) {
      const before = sw[w + Word.STATE];
      const after = tcpNextState(before, tcpFlags, fromOriginator);
      if (after === TcpState.SYN_SENT && before !== TcpState.SYN_SENT) {
        // A fresh SYN after the close: a new connection on the same ports, opened by its sender,
        // unanswered again and counted against the sender's source.
        f = this.kSenderIsA ? f | Flag.ORIGINATOR_IS_A : f & ~Flag.ORIGINATOR_IS_A;
        if ((f & Flag.ASSURED) === 0) this.unanswered[sw[w + Word.SOURCE] & Endpoints.SOURCE_MASK]--;
        f &= ~(Flag.SEEN_REPLY | Flag.ASSURED);
        const source = this.sourceBucket(this.kSenderIsA);
        sw[w + Word.SOURCE] = (sw[w + Word.SOURCE] & ~Endpoints.SOURCE_MASK) | source;
        this.unanswered[source]++;
      }
      sw[w + Word.STATE] = after;
    } else if (proto === IpProto.UDP) {
      const lastFromOriginator = (f & Flag.LAST_FROM_ORIGINATOR) !== 0;
      if (fromOriginator !== lastFromOriginator) {
        if (sw[w + Word.STATE] < Udp.STREAM_TURNS) sw[w + Word.STATE]++;
        f ^= Flag.LAST_FROM_ORIGINATOR;
      }
    }
    let timeoutMs = this.timeoutOf(i);
    // Assured entries (nearly every packet) test one bit here.
    if ((f & Flag.ASSURED) === 0) {
      if ((f & Flag.SEEN_REPLY) !== 0 && (proto !== IpProto.TCP || tcpHandshakeDone(sw[w + Word.STATE]))) {
        f = (f | Flag.ASSURED) & ~Flag.EARLY;
        this.unanswered[sw[w + Word.SOURCE] & Endpoints.SOURCE_MASK]--;
      } else if (this.size >= this.pressureAt && timeoutMs > UNANSWERED_UNDER_PRESSURE_MS) {
        timeoutMs = UNANSWERED_UNDER_PRESSURE_MS;
        f |= Flag.EARLY;
      } else {
        f &= ~Flag.EARLY;
      }
    }
    sw[w + Word.FLAGS] = f;
    this.expireAfter(i, timeoutMs);
  }
}
