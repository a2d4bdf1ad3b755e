// The connection-tracking half of the reference evaluator: the same semantics as
// ConntrackTable written as plainly as possible (a Map with string keys, objects per flow,
// unbounded), for tests and benchmarks only. It shares with the table the small documented
// pieces that are tested on their own (the TCP state machine, the ICMP type tables, the
// timeouts) and nothing of its keys, hashing, ordering or expiry.
import type { ConntrackTimeouts } from '../model/model-view.js';
import type { PacketView } from '../packet/packet-view.js';
import { icmpRequestType, isIcmpError, isIcmpProtocol } from './icmp-kinds.js';
import { tcpInitialSenderIsOriginator, tcpInitialState, tcpNextState, tcpTimeoutMs, TcpState } from './tcp-state.js';
import { portlessTimeoutMs } from './timeouts.js';

const MISS = 0;
const ESTABLISHED = 1;
const RELATED = 2;

interface Flow {
  protocol: number;
  ipVersion: number;
  /** endpoint strings */
  originator: string;
  tcpState: number;
  /** UDP: who sent the last packet, and how often the direction changed */
  lastSender: string;
  turns: number;
  expiresMs: number;
  ifIndex: number;
}

interface Described {
  key: string;
  sender: string;
}

function address(words: ArrayLike<number>, ver: number): string {
  return ver === 4 ? String(words[0]) : `${words[0]}:${words[1]}:${words[2]}:${words[3]}`;
}

export class ReferenceConntrack {
  private readonly flows = new Map<string, Flow>();
  /** the timeouts the interface had at its last `track`: they apply to its flows' next packets */
  private readonly timeouts = new Map<number, ConntrackTimeouts>();

  get size(): number {
    return this.flows.size;
  }

  lookup(ifIndex: number, pkt: PacketView, _outbound: boolean, nowMs: number): number {
    if (pkt.ipVersion !== 4 && pkt.ipVersion !== 6) return MISS;
    if (isIcmpProtocol(pkt.ipVersion, pkt.protocol) && isIcmpError(pkt.ipVersion, pkt.icmpType)) {
      const q = pkt.quoted;
      if (!q.valid || (q.ipVersion !== 4 && q.ipVersion !== 6)) return MISS;
      const d = this.describe(ifIndex, q.ipVersion, q.protocol, q.src, q.dst, q.srcPort, q.dstPort, q.icmpType, q.icmpId);
      return d && this.alive(d.key, nowMs) ? RELATED : MISS;
    }
    const d = this.describePacket(ifIndex, pkt);
    if (!d) return MISS;
    const flow = this.alive(d.key, nowMs);
    if (!flow) return MISS;
    this.advance(flow, d.sender, pkt.tcpFlags, nowMs);
    return ESTABLISHED;
  }

  track(ifIndex: number, pkt: PacketView, _outbound: boolean, nowMs: number, timeouts: ConntrackTimeouts): boolean {
    this.timeouts.set(ifIndex, timeouts);
    if (pkt.ipVersion !== 4 && pkt.ipVersion !== 6) return true;
    const icmp = isIcmpProtocol(pkt.ipVersion, pkt.protocol);
    if (icmp && isIcmpError(pkt.ipVersion, pkt.icmpType)) return true;
    const d = this.describePacket(ifIndex, pkt);
    if (!d) return true;
    if (icmp && pkt.icmpType !== icmpRequestType(pkt.ipVersion, pkt.icmpType)) return true; // a reply opens nothing
    let tcpState = 0;
    let originator = d.sender;
    if (pkt.protocol === 6) {
      tcpState = tcpInitialState(pkt.tcpFlags);
      if (tcpState === TcpState.NONE) return true;
      if (!tcpInitialSenderIsOriginator(pkt.tcpFlags)) originator = this.receiver(pkt);
    }
    const existing = this.alive(d.key, nowMs);
    if (existing) {
      this.advance(existing, d.sender, pkt.tcpFlags, nowMs);
      return true;
    }
    const flow: Flow = {
      protocol: pkt.protocol,
      ipVersion: pkt.ipVersion,
      originator,
      tcpState,
      lastSender: originator,
      turns: 0,
      expiresMs: 0,
      ifIndex,
    };
    flow.expiresMs = nowMs + this.timeout(flow);
    this.flows.set(d.key, flow);
    return true;
  }

  removeFlowsOf(ifIndex: number): void {
    for (const key of [...this.flows.keys()]) if (key.startsWith(`${ifIndex}|`)) this.flows.delete(key);
  }

  private alive(key: string, nowMs: number): Flow | undefined {
    const flow = this.flows.get(key);
    if (flow && nowMs > flow.expiresMs) {
      this.flows.delete(key);
      return undefined;
    }
    return flow;
  }

  private advance(flow: Flow, sender: string, tcpFlags: number, nowMs: number): void {
    const fromOriginator = sender === flow.originator;
    if (flow.protocol === 6) {
      const next = tcpNextState(flow.tcpState, tcpFlags, fromOriginator);
      if (next === TcpState.SYN_SENT && flow.tcpState !== TcpState.SYN_SENT) flow.originator = sender;
      flow.tcpState = next;
    } else if (flow.protocol === 17 && sender !== flow.lastSender) {
      flow.turns = Math.min(flow.turns + 1, 3);
      flow.lastSender = sender;
    }
    flow.expiresMs = nowMs + this.timeout(flow);
  }

  private timeout(flow: Flow): number {
    const t = this.timeouts.get(flow.ifIndex)!;
    if (flow.protocol === 6) return tcpTimeoutMs(flow.tcpState, t.tcpEstablished * 1000);
    if (flow.protocol === 17) return (flow.turns >= 3 ? t.udpStream : t.udp) * 1000;
    return portlessTimeoutMs(flow.ipVersion, flow.protocol);
  }

  private receiver(pkt: PacketView): string {
    return `${address(pkt.dst, pkt.ipVersion)}#${pkt.dstPort}`;
  }

  private describePacket(ifIndex: number, p: PacketView): Described | null {
    return this.describe(ifIndex, p.ipVersion, p.protocol, p.src, p.dst, p.srcPort, p.dstPort, p.icmpType, p.icmpId);
  }

  /** The flow key of a packet and the name of its sender; null for ICMP that is not a query. */
  private describe(
    ifIndex: number,
    ver: number,
    protocol: number,
    src: ArrayLike<number>,
    dst: ArrayLike<number>,
    srcPort: number,
    dstPort: number,
    icmpType: number,
    icmpId: number,
  ): Described | null {
    const s = address(src, ver);
    const d = address(dst, ver);
    if (isIcmpProtocol(ver, protocol)) {
      const request = icmpRequestType(ver, icmpType);
      if (request < 0) return null;
      const isRequest = icmpType === request;
      const requester = isRequest ? s : d;
      const responder = isRequest ? d : s;
      return { key: `${ifIndex}|${ver}|${protocol}|query ${request} id ${icmpId}|${requester}>${responder}`, sender: isRequest ? 'requester' : 'responder' };
    }
    const ports = protocol === 6 || protocol === 17;
    const from = `${s}#${ports ? srcPort : 0}`;
    const to = `${d}#${ports ? dstPort : 0}`;
    const pair = [from, to].sort();
    return { key: `${ifIndex}|${ver}|${protocol}|${pair[0]}<>${pair[1]}`, sender: from };
  }
}
