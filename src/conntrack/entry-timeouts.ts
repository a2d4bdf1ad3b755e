// Entry timeouts, a link of ConntrackTable's class chain (conntrack-table.ts lists it): each
// interface's TCP established, UDP and UDP stream timeouts (its security groups' connection tracking settings),
// kept in ms per interface index as every track sets them, and the timeout an entry gets from its
// protocol, TCP state and interface; timeouts.ts holds the fixed ones.
import type { ConntrackTimeouts } from '../model/model-view.js';
import { IpProto } from '../packet/packet-view.js';
import { FlowEndpoints } from './flow-endpoints.js';
import { Udp, Word } from './record-layout.js';
import { tcpTimeoutMs } from './tcp-state.js';
import { portlessTimeoutMs } from './timeouts.js';

/** The largest interface index a key can hold. */
export const MAX_INTERFACE_INDEX = 0xffff;

export class EntryTimeouts extends FlowEndpoints {
  /** per interface index: TCP established, UDP, UDP stream timeouts in ms (set by every track) */
  private ifTimeouts = new Float64Array(0);

  /** The timeout the entry at `i` gets from now, by protocol, TCP state and its interface's timeouts. */
  protected timeoutOf(i: number): number {
    const w = i * Word.STRIDE;
    const info = this.s[w + Word.INFO];
    const proto = (info >>> 8) & 0xff;
    const t = (info >>> 16) * 3;
    if (proto === IpProto.TCP) return tcpTimeoutMs(this.s[w + Word.STATE], this.ifTimeouts[t]);
    if (proto === IpProto.UDP) return this.s[w + Word.STATE] >= Udp.STREAM_TURNS ? this.ifTimeouts[t + 2] : this.ifTimeouts[t + 1];
    return portlessTimeoutMs(info & 0xff, proto);
  }

  /** Interface `ifIndex`'s timeouts from now on (every track sets its interface's first). */
  protected setTimeouts(ifIndex: number, timeouts: ConntrackTimeouts): void {
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
}
