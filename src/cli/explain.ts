// `sgfw explain`: which managed interface(s) a packet touches, in which direction, and which group
// and rule allow it (or that none does). The packet is built and judged by the same Dataplane the
// live modes use, fresh (no flows), so it is judged as the first packet of a new connection.
import ipaddr from 'ipaddr.js';
import { MATCH_WORLD } from '../classify/index.js';
import { echoRequestType, icmpKind, IcmpKind, isIcmpProtocol, OTHER_PROTOCOL_MS } from '../conntrack/index.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { mayGoUntracked, Untracked } from '../dataplane/untracked-flows.js';
import { isAllowed, Reason, REASON_NAMES } from '../dataplane/verdict.js';
import type { ModelView, RulePeer, RuleView } from '../model/model-view.js';
import { buildFrame, linkTypeOf, type FrameSpec } from '../packet/frame-builder.js';
import { IpProto } from '../packet/packet-view.js';
import type { Command } from './command.js';
import type { ParsedArgs } from './flags.js';
import { ExitCode } from './exit-codes.js';
import { STATE_FLAG, serviceFromStateFiles } from './state-flag.js';
import { UsageError } from './usage-error.js';

/** The source port when none is given: the first of the IANA ephemeral range (RFC 6335 §6). */
const DEFAULT_SPORT = 49152;

export interface ExplainPacket {
  family: 4 | 6;
  src: string;
  dst: string;
  protocol: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
}

export interface ExplainRule {
  ruleId: string;
  groupId: string;
  groupName: string;
  protocol: string;
  ports: string;
  peer: string;
}

export interface ExplainSide {
  interfaceId: string;
  address: string;
  /** egress of the sender, ingress of the receiver */
  direction: 'egress' | 'ingress';
  role: 'sender' | 'receiver';
  groups: { groupId: string; groupName: string }[];
  /** false when the other side already dropped the packet */
  judged: boolean;
  verdict?: 'allow' | 'drop';
  reason?: string;
  rules: ExplainRule[];
  tracked?: boolean;
  why: string;
}

export interface Explanation {
  packet: ExplainPacket & { text: string };
  managed: boolean;
  verdict: 'allow' | 'drop';
  reason: string;
  interfaces: ExplainSide[];
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'Tell which interface, direction, group and rule allow or would drop a packet',
  description: [
    'Builds the packet and judges it as the first packet of a new connection (no flows yet).',
    'Between two managed interfaces the sender\'s egress and the receiver\'s ingress must both allow.',
    `TCP and UDP need --dport; --sport defaults to ${DEFAULT_SPORT}. ICMP defaults to an echo request.`,
    'Exit codes: 0 explained (allowed or dropped); 2 bad usage or state.',
  ].join('\n'),
  flags: [
    STATE_FLAG,
    { name: 'src', kind: 'string', value: 'ADDR', required: true, description: 'source IPv4 or IPv6 address' },
    { name: 'dst', kind: 'string', value: 'ADDR', required: true, description: 'destination address (same family)' },
    { name: 'proto', kind: 'string', value: 'PROTO', required: true, description: 'tcp, udp, icmp, icmpv6 or a protocol number 0-255' },
    { name: 'sport', kind: 'string', value: 'N', description: `TCP/UDP source port (default ${DEFAULT_SPORT})` },
    { name: 'dport', kind: 'string', value: 'N', description: 'TCP/UDP destination port' },
    { name: 'icmp-type', kind: 'string', value: 'T', description: 'ICMP/ICMPv6 type (default echo request)' },
    { name: 'icmp-code', kind: 'string', value: 'C', description: 'ICMP/ICMPv6 code (default 0)' },
    { name: 'json', kind: 'boolean', description: 'print the explanation as JSON' },
  ],
  async run(args, { io }) {
    const packet = packetFromArgs(args);
    const service = await serviceFromStateFiles(args.strings('state'));
    const e = explain(service, packet);
    io.stdout.write(args.boolean('json') ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
    return ExitCode.ok;
  },
};

const PROTO_BY_NAME: Record<string, number> = { tcp: IpProto.TCP, udp: IpProto.UDP, icmp: IpProto.ICMP, icmpv6: IpProto.ICMPV6 };

export function packetFromArgs(args: ParsedArgs): ExplainPacket {
  const src = address(args, 'src');
  const dst = address(args, 'dst');
  if (src.family !== dst.family) {
    throw new UsageError(`--src ${src.text} is IPv${src.family} but --dst ${dst.text} is IPv${dst.family}: both must be of one family`);
  }
  const family = src.family;
  const protoText = args.string('proto')!.toLowerCase();
  let protocol = PROTO_BY_NAME[protoText];
  if (protocol === undefined) {
    if (!/^[0-9]+$/.test(protoText) || Number(protoText) > 255) {
      throw new UsageError(`--proto expects tcp, udp, icmp, icmpv6 or a number 0-255, got '${protoText}'`);
    }
    protocol = Number(protoText);
  }
  const packet: ExplainPacket = { family, src: src.text, dst: dst.text, protocol };
  const ported = protocol === IpProto.TCP || protocol === IpProto.UDP;
  const icmp = isIcmpProtocol(family, protocol);
  if (protocol === IpProto.ICMP && family === 6) throw new UsageError('--proto icmp is IPv4\'s ICMP; for IPv6 addresses use --proto icmpv6');
  if (protocol === IpProto.ICMPV6 && family === 4) throw new UsageError('--proto icmpv6 needs IPv6 addresses; for IPv4 use --proto icmp');
  if (ported) {
    const dport = port(args, 'dport');
    if (dport === undefined) throw new UsageError(`--proto ${protoName(protocol)} needs --dport N (the destination port)`);
    packet.dport = dport;
    packet.sport = port(args, 'sport') ?? DEFAULT_SPORT;
  } else {
    for (const f of ['sport', 'dport']) {
      if (args.string(f) !== undefined) throw new UsageError(`--${f} applies to tcp and udp only, not ${protoName(protocol)}`);
    }
  }
  if (icmp) {
    packet.icmpType = byteFlag(args, 'icmp-type') ?? echoRequestType(family);
    packet.icmpCode = byteFlag(args, 'icmp-code') ?? 0;
  } else {
    for (const f of ['icmp-type', 'icmp-code']) {
      if (args.string(f) !== undefined) throw new UsageError(`--${f} applies to icmp and icmpv6 only, not ${protoName(protocol)}`);
    }
  }
  return packet;
}

function address(args: ParsedArgs, name: string): { text: string; family: 4 | 6 } {
  const text = args.string(name)!;
  // Four-part decimal only: ipaddr.js also takes '10' or '0x0a.1', which nobody means here.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return { text: ipaddr.parse(text).toString(), family: 4 };
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return { text: ipaddr.parse(text).toString(), family: 6 };
  throw new UsageError(`--${name} expects an IPv4 or IPv6 address, got '${text}'`);
}

function port(args: ParsedArgs, name: string): number | undefined {
  const n = args.integer(name);
  if (n !== undefined && (n < 0 || n > 65535)) throw new UsageError(`--${name} expects a port 0-65535, got ${n}`);
  return n;
}

function byteFlag(args: ParsedArgs, name: string): number | undefined {
  const n = args.integer(name);
  if (n !== undefined && (n < 0 || n > 255)) throw new UsageError(`--${name} expects 0-255, got ${n}`);
  return n;
}

function protoName(protocol: number): string {
  for (const [name, n] of Object.entries(PROTO_BY_NAME)) if (n === protocol) return name;
  return `protocol ${protocol}`;
}

function packetText(p: ExplainPacket): string {
  const name = protoName(p.protocol);
  if (p.dport !== undefined) return `${name}/${p.dport} from ${p.src} port ${p.sport} to ${p.dst}`;
  if (p.icmpType !== undefined) return `${name} type ${p.icmpType} code ${p.icmpCode} from ${p.src} to ${p.dst}`;
  return `${name} from ${p.src} to ${p.dst}`;
}

/** What a packet's traffic is called in "no rule … allows X": tcp/22, icmp type 8, protocol 47. */
function trafficText(p: ExplainPacket): string {
  if (p.dport !== undefined) return `${protoName(p.protocol)}/${p.dport}`;
  if (p.icmpType !== undefined) return `${protoName(p.protocol)} type ${p.icmpType} code ${p.icmpCode}`;
  return protoName(p.protocol);
}

/** Judges `packet` on a fresh Dataplane over `model` and says why. */
export function explain(model: ModelView, packet: ExplainPacket): Explanation {
  const dataplane = new Dataplane(model, { conntrackCapacity: 64 });
  const spec: FrameSpec = { src: packet.src, dst: packet.dst, proto: packet.protocol, sport: packet.sport, dport: packet.dport };
  if (packet.protocol === IpProto.TCP) spec.flags = 'S';
  if (packet.icmpType !== undefined) spec.icmp = { type: packet.icmpType, code: packet.icmpCode, id: 1, seq: 1 };
  const frame = buildFrame(spec);
  const nowMs = 1000;
  const reason = dataplane.judge(linkTypeOf('ethernet'), frame, 0, frame.length, nowMs);
  const src = dataplane.lastSourceInterface;
  const dst = dataplane.lastDestinationInterface;

  const sides: ExplainSide[] = [];
  // The sender's egress is judged first; only if it allows does the receiver's ingress see it.
  const senderDropped = src >= 0 && reason === Reason.EGRESS_NO_RULE;
  if (src >= 0) {
    // The sender's own reason, when it allowed: the table was empty, so its rules decided, and
    // tracked or not as the dataplane's untracked-flow rule said.
    const untracked = dataplane.untrackedLast(src, true) !== Untracked.NO;
    const sideReason = senderDropped ? reason : untracked ? Reason.RULE_UNTRACKED : Reason.RULE;
    sides.push(side(dataplane, model, packet, src, true, sideReason, true, packet.src));
  }
  if (dst >= 0) sides.push(side(dataplane, model, packet, dst, false, reason, !senderDropped, packet.dst));
  return {
    packet: { ...packet, text: packetText(packet) },
    managed: src >= 0 || dst >= 0,
    verdict: isAllowed(reason) ? 'allow' : 'drop',
    reason: REASON_NAMES[reason],
    interfaces: sides,
  };
}

function side(
  dataplane: Dataplane,
  model: ModelView,
  packet: ExplainPacket,
  index: number,
  outbound: boolean,
  reason: number,
  judged: boolean,
  address: string,
): ExplainSide {
  const iface = dataplane.interfaceAt(index)!;
  const groups = iface.groupIds.map((groupId) => ({ groupId, groupName: model.group(groupId)?.groupName ?? '?' }));
  const base = {
    interfaceId: iface.interfaceId,
    address,
    direction: outbound ? ('egress' as const) : ('ingress' as const),
    role: outbound ? ('sender' as const) : ('receiver' as const),
    groups,
  };
  if (!judged) {
    return { ...base, judged, rules: [], why: 'not judged: the sender\'s egress rules already drop the packet' };
  }
  const views = dataplane.explainLast(index, outbound);
  const rules = views.map((r) => ruleOf(model, r));
  const allowed = isAllowed(reason);
  const out: ExplainSide = { ...base, judged, verdict: allowed ? 'allow' : 'drop', reason: REASON_NAMES[reason], rules, why: '' };
  if (!allowed) {
    const list = groups.map((g) => `${g.groupId} (${g.groupName})`).join(', ');
    const peer = outbound ? `to ${packet.dst}` : `from ${packet.src}`;
    out.why = `no ${outbound ? 'outbound' : 'inbound'} rule of ${groups.length === 1 ? 'group' : 'groups'} ${list} allows ${trafficText(packet)} ${peer}`;
    return out;
  }
  out.tracked = reason !== Reason.RULE_UNTRACKED;
  out.why = trackingWhy(dataplane, packet, index, outbound);
  return out;
}

/** Why the dataplane tracks the flow on this side or not: the same seed rules it applied. */
function trackingWhy(dataplane: Dataplane, packet: ExplainPacket, index: number, outbound: boolean): string {
  const p = packet.protocol;
  if (isIcmpProtocol(packet.family, p)) return `tracked: ICMP traffic is always tracked, regardless of rules (seed 001)${icmpNote(packet)}`;
  if (!mayGoUntracked(p)) {
    return `tracked: for protocols other than TCP, UDP and ICMP only the addresses and protocol number are tracked, for ${OTHER_PROTOCOL_MS / 1000} seconds (seed 001)`;
  }
  const other = outbound ? 'inbound' : 'outbound';
  switch (dataplane.untrackedLast(index, outbound)) {
    case Untracked.AS_REQUEST:
      return `untracked: a rule allowing it is open to all addresses and the ${other} rules allow all traffic to all addresses (seed 001); each packet is judged by the rules, so removing the rule cuts the flow at once`;
    case Untracked.AS_RESPONSE:
      return `untracked: these rules allow all traffic to all addresses and an ${other} rule open to all addresses matches its responses (seed 001)`;
  }
  // "Open to all addresses" as the dataplane reads it: a 0.0.0.0/0 or ::/0 rule, or a prefix list holding one.
  if ((dataplane.matchLast(index, outbound) & MATCH_WORLD) === 0) {
    return `tracked: no rule allowing it is open to all addresses (${packet.family === 4 ? '0.0.0.0/0' : '::/0'}) (seed 001)`;
  }
  return `tracked: the ${other} rules do not allow all traffic to all addresses (seed 001)`;
}

/** What the ICMP message's kind means for its tracking (conntrack/icmp-kinds.ts). */
function icmpNote(packet: ExplainPacket): string {
  switch (icmpKind(packet.family, packet.icmpType ?? 0)) {
    case IcmpKind.REPLY:
      return '; a reply opens no flow: it passes as established when it answers a tracked request';
    case IcmpKind.ERROR:
      return '; an error opens no flow: it passes as related when it quotes a tracked flow';
    case IcmpKind.UNPAIRED:
      return '; this message has no identifier pairing it with a reply: it opens no flow and the rules judge each one';
    default:
      return '';
  }
}

function ruleOf(model: ModelView, r: RuleView): ExplainRule {
  return {
    ruleId: r.ruleId,
    groupId: r.groupId,
    groupName: model.group(r.groupId)?.groupName ?? '?',
    protocol: r.protocol === -1 ? 'all traffic' : protoName(r.protocol),
    ports: portsText(r),
    peer: peerText(model, r.peer),
  };
}

function portsText(r: RuleView): string {
  if (r.protocol === -1) return '';
  if (r.protocol === IpProto.TCP || r.protocol === IpProto.UDP) {
    if (r.fromPort === 0 && r.toPort === 65535) return 'all ports';
    return r.fromPort === r.toPort ? `port ${r.fromPort}` : `ports ${r.fromPort}-${r.toPort}`;
  }
  if (r.protocol === IpProto.ICMP || r.protocol === IpProto.ICMPV6) {
    if (r.fromPort === -1) return 'all types';
    return `type ${r.fromPort} ${r.toPort === -1 ? 'all codes' : `code ${r.toPort}`}`;
  }
  return 'all ports';
}

function peerText(model: ModelView, peer: RulePeer): string {
  switch (peer.kind) {
    case 'cidr4':
    case 'cidr6':
      return peer.cidr;
    case 'prefix-list': {
      const name = model.prefixList(peer.prefixListId)?.name;
      return `prefix list ${peer.prefixListId}${name ? ` (${name})` : ''}`;
    }
    case 'group':
      return `group ${peer.groupId} (${model.group(peer.groupId)?.groupName ?? '?'})`;
  }
}

export function formatExplanation(e: Explanation): string {
  const lines = [`packet   ${e.packet.text}, a new connection`];
  if (!e.managed) {
    lines.push(`verdict  allow (unmanaged): neither ${e.packet.src} nor ${e.packet.dst} is an address of a managed interface; sgfw does not judge it`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`verdict  ${e.verdict} (${e.reason})`);
  for (const s of e.interfaces) {
    const groups = s.groups.map((g) => `${g.groupId} (${g.groupName})`).join(', ');
    lines.push(`${s.interfaceId} ${s.address}: ${s.direction} of the ${s.role}, groups ${groups}`);
    if (!s.judged) {
      lines.push(`  ${s.why}`);
      continue;
    }
    lines.push(`  ${s.verdict} (${s.reason})`);
    for (const r of s.rules) {
      lines.push(`  allowed by ${r.ruleId} of ${r.groupId} (${r.groupName}): ${[r.protocol, r.ports].filter(Boolean).join(' ')} ${s.direction === 'egress' ? 'to' : 'from'} ${r.peer}`);
    }
    lines.push(`  ${s.why}`);
  }
  return `${lines.join('\n')}\n`;
}
