// The conntrack table's entries described for people: explain, logs and tests read flows through
// this, never the records. It allocates, so it stays off the per-packet path.
import { IpProto } from '../packet/packet-view.js';
import { isIcmpProtocol } from './icmp-kinds.js';
import { ASSURED, EARLY, F_EXPIRES, F_STRIDE, INSIDE_IS_A, LIVE, ORIGINATOR_IS_A, SEEN_REPLY, STRIDE, UDP_STREAM_TURNS, W_A, W_B, W_FLAGS, W_INFO, W_PORTS, W_STATE } from './record-layout.js';
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
    const w = i * STRIDE;
    const flags = u[w + W_FLAGS];
    if ((flags & LIVE) === 0 || u[w + W_INFO] >>> 16 !== ifIndex || nowMs > f[i * F_STRIDE + F_EXPIRES]) continue;
    const info = u[w + W_INFO];
    const proto = (info >>> 8) & 0xff;
    const ver = info & 0xff;
    const a = Array.from(u.subarray(w + W_A, w + W_A + (ver === 4 ? 1 : 4)));
    const b = Array.from(u.subarray(w + W_B, w + W_B + (ver === 4 ? 1 : 4)));
    const pa = u[w + W_PORTS] >>> 16;
    const pb = u[w + W_PORTS] & 0xffff;
    const icmp = isIcmpProtocol(ver, proto);
    const aOpened = (flags & ORIGINATOR_IS_A) !== 0;
    let state = 'OTHER';
    if (proto === IpProto.TCP) state = TCP_STATE_NAMES[u[w + W_STATE]];
    else if (proto === IpProto.UDP) state = u[w + W_STATE] >= UDP_STREAM_TURNS ? 'UDP_STREAM' : 'UDP';
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
      seenReply: (flags & SEEN_REPLY) !== 0,
      assured: (flags & ASSURED) !== 0,
      openedInside: ((flags & INSIDE_IS_A) !== 0) === aOpened,
      earlyTimeout: (flags & EARLY) !== 0,
      expiresMs: f[i * F_STRIDE + F_EXPIRES],
    });
  }
  return out;
}
