// The rule half of the reference evaluator: the seed's semantics written as plainly as possible,
// straight from the model on every packet (linear scan, ipaddr.js matching, no compilation).
// Used only by tests and benchmarks to check the compiled classifier.
import ipaddr from 'ipaddr.js';
import type { InterfaceView, ModelView, RuleView } from '../model/model-view.js';

export interface ReferencePacket {
  family: 4 | 6;
  protocol: number;
  dstPort: number;
  icmpType: number;
  icmpCode: number;
}

/** The prefixes a rule's peer stands for right now. */
export function peerPrefixes(model: ModelView, rule: RuleView): string[] {
  const peer = rule.peer;
  switch (peer.kind) {
    case 'cidr4':
    case 'cidr6':
      return [peer.cidr];
    case 'prefix-list':
      return model.prefixList(peer.prefixListId)?.entries.map((e) => e.cidr) ?? [];
    case 'group': {
      const out: string[] = [];
      for (const eni of model.interfaces()) {
        if (!eni.groupIds.includes(peer.groupId)) continue;
        for (const a of eni.privateIpv4) out.push(`${a}/32`);
        for (const a of eni.ipv6) out.push(`${a}/128`);
      }
      return out;
    }
  }
}

function inPrefix(address: string, prefix: string): boolean {
  const addr = ipaddr.parse(address);
  const [net, len] = ipaddr.parseCIDR(prefix);
  return addr.kind() === net.kind() && addr.match(net, len);
}

function isWorld(prefix: string): boolean {
  return prefix.endsWith('/0');
}

/** Does the rule's protocol/port part admit the packet? */
export function rulePortsMatch(rule: RuleView, p: ReferencePacket): boolean {
  if (rule.protocol === -1) return true;
  if (rule.protocol !== p.protocol) return false;
  if (p.protocol === 6 || p.protocol === 17) return rule.fromPort <= p.dstPort && p.dstPort <= rule.toPort;
  const icmp = (p.protocol === 1 && p.family === 4) || (p.protocol === 58 && p.family === 6);
  if (!icmp) return true;
  if (rule.fromPort === -1) return true;
  return rule.fromPort === p.icmpType && (rule.toPort === -1 || rule.toPort === p.icmpCode);
}

export function directionRules(model: ModelView, eni: InterfaceView, outbound: boolean): RuleView[] {
  const out: RuleView[] = [];
  for (const id of eni.groupIds) {
    const g = model.group(id);
    if (g) out.push(...(outbound ? g.egress : g.ingress));
  }
  return out;
}

/** 0: no rule allows; 1: allowed; 3: allowed, and by a rule open to the world (/0). */
export function referenceMatch(
  model: ModelView,
  rules: readonly RuleView[],
  p: ReferencePacket,
  peerAddress: string,
): number {
  let result = 0;
  for (const rule of rules) {
    if (!rulePortsMatch(rule, p)) continue;
    for (const prefix of peerPrefixes(model, rule)) {
      if (!inPrefix(peerAddress, prefix)) continue;
      result |= 1;
      if (isWorld(prefix)) result |= 2;
    }
  }
  return result;
}

/** Do the rules allow every port of `protocol` to the whole address family? */
export function referenceAllowsAllToWorld(
  model: ModelView,
  rules: readonly RuleView[],
  family: 4 | 6,
  protocol: number,
): boolean {
  const ranges: [number, number][] = [];
  for (const rule of rules) {
    if (rule.protocol !== -1 && rule.protocol !== protocol) continue;
    const world = peerPrefixes(model, rule).some((p) => isWorld(p) && p.includes(':') === (family === 6));
    if (!world) continue;
    if (rule.protocol === -1) return true;
    ranges.push([rule.fromPort, rule.toPort]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [from, to] of ranges) {
    if (from > next) return false;
    next = Math.max(next, to + 1);
  }
  return next > 65535;
}
