// The conntrack table between packets, a link of ConntrackTable's class chain (conntrack-table.ts
// lists it): the sweep (expired entries out, and the table shrinks when its flows have gone),
// forgetting an interface's flows or all of them, and the table read for people and tests (its
// entries, its bytes, where a flow lives). None of it is on the per-packet path; it is a link,
// not an object of its own, because it writes the records, and the chain is their only writer
// (conntrack-table.ts says why).
import type { PacketView } from '../packet/packet-view.js';
import { describeEntries, type ConntrackEntryInfo } from './entry-info.js';
import { FloodPolicy } from './flood-policy.js';
import { isIcmpProtocol } from './icmp-kinds.js';
import { Flag, nextPowerOfTwo, Word } from './record-layout.js';

export class TableMaintenance extends FloodPolicy {
  /** the fewest slots: the table starts with these and never shrinks below */
  readonly minSlots = this.slots;

  /** Removes expired entries among the next `budget` slots; returns how many. */
  sweep(nowMs: number, budget = 4096): number {
    this.missKeyed = false;
    this.clock[0] = nowMs;
    const expiredBefore = this.expired;
    this.scan(budget, false);
    // The table follows its flows down too: quiet, it shrinks (and migrates here, between
    // packets, when no insert does it).
    if (this.migrating) this.migrate(budget);
    else if (this.slots > this.minSlots && this.size * 8 < this.slots) this.resizeTo(Math.max(this.minSlots, nextPowerOfTwo(this.size * 4)));
    return this.expired - expiredBefore;
  }

  /** Forgets every flow of an interface (it was deleted or lost its index). Returns how many. */
  removeFlowsOf(ifIndex: number): number {
    let removed = 0;
    for (let i = 0; i < this.slots; ) {
      const w = i * Word.STRIDE;
      if ((this.s[w + Word.FLAGS] & Flag.LIVE) !== 0 && this.u[w + Word.INFO] >>> 16 === ifIndex) {
        // Not i++: the shift may have moved a later entry of the cluster into slot i.
        this.removeAt(i);
        removed++;
      } else {
        i++;
      }
    }
    for (let i = this.oCursor; i < this.oSlots; ) {
      const w = i * Word.STRIDE;
      if ((this.os[w + Word.FLAGS] & Flag.LIVE) !== 0 && this.ou[w + Word.INFO] >>> 16 === ifIndex) {
        this.removeOldAt(i);
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
    this.layoutChanges++;
    if (this.migrating) this.endMigration();
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
    const entries = describeEntries(this.u, this.f, this.slots, ifIndex, nowMs);
    return this.migrating ? entries.concat(describeEntries(this.ou, this.of, this.oSlots, ifIndex, nowMs)) : entries;
  }

  /** Bytes the table's records hold (both tables while entries migrate). */
  get byteLength(): number {
    return this.u.byteLength + this.ou.byteLength;
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
      if ((this.s[i * Word.STRIDE + Word.FLAGS] & Flag.LIVE) === 0) return { home, slot: -1 };
      if (this.matches(this.u, this.s, i * Word.STRIDE)) return { home, slot: i };
    }
  }
}
