// The conntrack table's entries described for people: explain, logs and tests read flows through
// this, never the records. It allocates, so it stays off the per-packet path.
import { IpProto } from '../packet/packet-view.js';
import { isIcmpProtocol } from './icmp-kinds.js';
import { Double, Flag, Udp, Word } from './record-layout.js';
import { TCP_STATE_NAMES } from './tcp-state.js';

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

/**
 * The live entries of interface `ifIndex` among the `slots` records viewed as words `u` and
 * doubles `f`, leaving out those expired at `nowMs`.
 */
export function describeEntries(u: Uint32Array, f: Float64Array, slots: number, ifIndex: number, nowMs: number): ConntrackEntryInfo[] {
  const out: ConntrackEntryInfo[] = [];
  for (let i = 0; i < slots; i++) {
    const w = i * Word.STRIDE;
    const flags = u[w + Word.FLAGS];
    if ((flags & Flag.LIVE) === 0 || u[w + Word.INFO] >>> 16 !== ifIndex || nowMs > f[i * Double.STRIDE + Double.EXPIRES]) continue;
    const info = u[w + Word.INFO];
    const proto = (info >>> 8) & 0xff;
    const ver = info & 0xff;
    const a = Array.from(u.subarray(w + Word.A, w + Word.A + (ver === 4 ? 1 : 4)));
    const b = Array.from(u.subarray(w + Word.B, w + Word.B + (ver === 4 ? 1 : 4)));
    const pa = u[w + Word.PORTS] >>> 16;
    const pb = u[w + Word.PORTS] & 0xffff;
    const icmp = isIcmpProtocol(ver, proto);
    const aOpened = (flags & Flag.ORIGINATOR_IS_A) !== 0;
    let state = 'OTHER';
    if (proto === IpProto.TCP) state = TCP_STATE_NAMES[u[w + Word.STATE]];
    else if (proto === IpProto.UDP) state = u[w + Word.STATE] >= Udp.STREAM_TURNS ? 'UDP_STREAM' : 'UDP';
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
      seenReply: (flags & Flag.SEEN_REPLY) !== 0,
      assured: (flags & Flag.ASSURED) !== 0,
      openedInside: ((flags & Flag.INSIDE_IS_A) !== 0) === aOpened,
      earlyTimeout: (flags & Flag.EARLY) !== 0,
      expiresMs: f[i * Double.STRIDE + Double.EXPIRES],
    });
  }
  return out;
}
