// Established flows in one lookup, a link of ConntrackTable's class chain
// (conntrack-table.ts lists it).
//
// A caller that maps addresses to interfaces (the dataplane) keeps in each record which
// interface each endpoint's address is on, under the generation of its address map: a packet of
// an established flow then finds its flow first, interface-free (the hash never held the
// interface), and takes its interfaces from the record, without looking its addresses up. The
// protocol: advanceGeneration whenever the address map changes; per frame, lookupFlowNow first;
// then setEndpoints with the interfaces (the record's, or looked up when it found none) before
// the frame's lookups and tracks, and clearEndpoints after them.
import type { PacketView } from '../packet/packet-view.js';
import { isIcmpError, isIcmpProtocol } from './icmp-kinds.js';
import { Double, Endpoints, Flag, Word } from './record-layout.js';
import { RecordExpiry } from './record-expiry.js';
import { Keyed } from './scratch-key.js';

export class FlowEndpoints extends RecordExpiry {
  // The frame's endpoints (see record-layout.ts's Endpoints): the address map's generation, and
  // the interfaces of the frame at hand's sender and receiver as the caller knows them for that
  // generation (setEndpoints), stamped on the records its lookups find or insert.
  /** the caller's address-map generation; 0 until advanceGeneration: records then carry nothing */
  protected generation = 0;
  /** setEndpoints was called for the frame at hand (cleared by clearEndpoints) */
  protected endpointsKnown = false;
  private kSrcIf = -1;
  private kDstIf = -1;
  /** what lookupFlowNow found: the frame's sender's and receiver's interfaces (-1: unmanaged) and the record's own */
  flowSrcIf = -1;
  flowDstIf = -1;
  flowIf = -1;
  /**
   * what lookupFlowNow found besides: the slot of the flow's record on its other managed end
   * (flowSrcIf or flowDstIf, whichever is not flowIf), live and unexpired; -1 when there is none,
   * the end is unmanaged, or the probe could not tell (see findPartner)
   */
  flowPartner = -1;
  /** lookupFlowNow's probe met no entry (flowMissed) at this layoutChanges (see lookupSameNow) */
  protected flowMissAt = 0;

  /** The caller's address map changed: every record's endpoints are stale until found again. */
  advanceGeneration(): void {
    if (this.generation === Endpoints.MAX_GENERATION) {
      // Once in 16M changes: no record may claim a generation that comes round again.
      this.unstampAll(this.s, this.slots);
      this.unstampAll(this.os, this.oSlots);
      this.generation = 0;
    }
    this.generation++;
  }

  private unstampAll(sw: Int32Array, slots: number): void {
    for (let i = 0; i < slots; i++) sw[i * Word.STRIDE + Word.FLAGS] &= Endpoints.FLAGS_MASK;
  }

  /** The frame at hand's sender and receiver interfaces (-1: unmanaged), under the current generation. */
  setEndpoints(srcIf: number, dstIf: number): void {
    this.kSrcIf = srcIf;
    this.kDstIf = dstIf;
    this.endpointsKnown = this.generation !== 0;
  }

  /** The frame is judged: later calls stamp nothing until the next setEndpoints. */
  clearEndpoints(): void {
    this.endpointsKnown = false;
  }

  /**
   * The record at `i` (its key in scratch, its interface one of the frame's endpoints' under the
   * current generation) learns the frame's endpoints' interfaces.
   */
  protected stamp(i: number): void {
    const w = i * Word.STRIDE;
    const sw = this.s;
    const f = sw[w + Word.FLAGS];
    if (f >>> Endpoints.GENERATION_SHIFT === this.generation) return;
    const own = sw[w + Word.INFO] >>> 16;
    const ifA = this.kSenderIsA ? this.kSrcIf : this.kDstIf;
    const ifB = this.kSenderIsA ? this.kDstIf : this.kSrcIf;
    const atA = own === ifA;
    const other = atA ? ifB : ifA;
    sw[w + Word.SOURCE] = (sw[w + Word.SOURCE] & Endpoints.SOURCE_MASK) | ((other + 1) << Endpoints.OTHER_SHIFT);
    sw[w + Word.FLAGS] = (f & Endpoints.FLAGS_MASK & ~Flag.AT_A) | (atA ? Flag.AT_A : 0) | (this.generation << Endpoints.GENERATION_SHIFT);
  }

  /**
   * The first step of a frame: keys `pkt` (once: the lookups that follow reuse the key, see
   * lookupSameNow) and looks for a record of its flow on any interface whose endpoints are of the
   * current generation. Returns its slot, its interfaces in flowSrcIf, flowDstIf and flowIf (then
   * `updateFlowNow(slot, pkt)` is the lookup on flowIf, when that is the frame's first); -1 when
   * there is none (the caller looks the addresses up, then `lookupSameNow`); -2 when the packet
   * has no key of its own (an ICMP error, not IP: the caller looks up with lookupNow). Changes
   * nothing but reclaims expired entries it meets, as every lookup does.
   */
  lookupFlowNow(pkt: PacketView): number {
    this.missKeyed = false;
    this.flowMissed = false;
    this.keyed = Keyed.STALE;
    const ver = pkt.ipVersion;
    if (ver !== 4 && ver !== 6) return -2;
    const proto = pkt.protocol;
    if (isIcmpProtocol(ver, proto)) {
      if (isIcmpError(ver, pkt.icmpType)) return -2;
      if (!this.keyIcmpQuery(0, ver, proto, pkt.src, pkt.dst, pkt.icmpType, pkt.icmpId)) return -2;
    } else {
      this.keyFlow(0, ver, proto, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
    }
    this.keyed = Keyed.FLOW;
    return this.generation === 0 ? -1 : this.findFlow();
  }

  /**
   * As lookupFlowNow, for the packet whose key stageKey kept in `row` (it returned a home, not -1):
   * the key is taken as kept instead of built again.
   */
  lookupFlowKeptNow(row: number): number {
    this.missKeyed = false;
    this.flowMissed = false;
    this.takeKey(row);
    this.keyed = Keyed.FLOW;
    return this.generation === 0 ? -1 : this.findFlow();
  }

  /** The record with the scratch key on any interface, if its endpoints are current; else -1. */
  private findFlow(): number {
    const nowMs = this.clock[0];
    const sw = this.s;
    const mask = this.slotMask;
    const hash = this.kHash;
    const flow = this.kInfo & 0xffff;
    let i = hash & this.homeMask;
    for (;;) {
      const w = i * Word.STRIDE;
      const f = sw[w + Word.FLAGS];
      if ((f & Flag.LIVE) === 0) {
        // No entry of the flow on any interface. (While a resize migrates entries, the old table
        // may hold one: the slow path's find looks there.)
        this.kEmpty = i;
        this.flowMissed = !this.migrating;
        this.flowMissAt = this.layoutChanges;
        return -1;
      }
      if (nowMs > this.f[i * Double.STRIDE + Double.EXPIRES]) {
        this.expire(i);
        continue;
      }
      if (sw[w + Word.HASH] === hash && (sw[w + Word.INFO] & 0xffff) === flow && this.sameEndpoints(this.u, sw, w)) {
        if (f >>> Endpoints.GENERATION_SHIFT !== this.generation) return -1;
        const own = sw[w + Word.INFO] >>> 16;
        const other = ((sw[w + Word.SOURCE] >>> Endpoints.OTHER_SHIFT) & Endpoints.OTHER_MASK) - 1;
        const atA = (f & Flag.AT_A) !== 0;
        const ifA = atA ? own : other;
        const ifB = atA ? other : own;
        this.flowSrcIf = this.kSenderIsA ? ifA : ifB;
        this.flowDstIf = this.kSenderIsA ? ifB : ifA;
        this.flowIf = own;
        this.flowPartner = other >= 0 && other !== own ? this.findPartner(i, other) : -1;
        return i;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * The record of the scratch key on interface `other`, probing on from slot `i` (the key's record
   * on its other end, which the probe from home met first: the two share a hash, so the second
   * lies further along the cluster, nearly always in the next slot, whose line touchHomes read).
   * A frame between two managed interfaces then costs one probe, not two. -1 when it is not
   * there, and when the probe meets an expired entry: the slow path (find) reclaims those.
   */
  private findPartner(i: number, other: number): number {
    const nowMs = this.clock[0];
    const sw = this.s;
    const mask = this.slotMask;
    const hash = this.kHash;
    const info = (other << 16) | (this.kInfo & 0xffff);
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const w = j * Word.STRIDE;
      if ((sw[w + Word.FLAGS] & Flag.LIVE) === 0) return -1;
      if (nowMs > this.f[j * Double.STRIDE + Double.EXPIRES]) return -1;
      if (sw[w + Word.HASH] === hash && sw[w + Word.INFO] === info && this.sameEndpoints(this.u, sw, w)) return j;
    }
  }
}
