// Turns the rules of an interface's groups into the flat, peer-expanded rule lists the
// classifier compiles. Group references become the members' private addresses (seed 001:
// "Incoming traffic is allowed based on the private IP addresses of the instances that are
// associated with the source security group (and not the public IP or Elastic IP addresses)");
// prefix lists become their entries. A reference to a group or prefix list that no longer exists
// expands to nothing: a stale rule allows no traffic.
//
// Each direction keeps its own rule table (ClassifierRule.ruleIndex indexes it), so a change to
// one direction leaves the other's expansion equal and its compiled classifier reusable.
import type { ClassifierRule } from '../classify/classifier-rule.js';
import type { ModelView, RuleView } from '../model/model-view.js';

export interface InterfaceRules {
  ingress: ClassifierRule[];
  egress: ClassifierRule[];
  /** the ruleIndex of an ingress ClassifierRule indexes this table */
  ingressRules: RuleView[];
  /** the ruleIndex of an egress ClassifierRule indexes this table */
  egressRules: RuleView[];
  /** groups and prefix lists whose change alters these lists */
  dependsOnGroups: Set<string>;
  dependsOnPrefixLists: Set<string>;
}

/** A group's members' private addresses as host prefixes, by family. */
export interface GroupMembers {
  v4: string[];
  v6: string[];
}

/** Private addresses of every interface in each group, as host prefixes. */
export function membersByGroup(model: ModelView): Map<string, GroupMembers> {
  const members = new Map<string, GroupMembers>();
  for (const eni of model.interfaces()) {
    for (const groupId of eni.groupIds) {
      let list = members.get(groupId);
      if (!list) members.set(groupId, (list = { v4: [], v6: [] }));
      for (const a of eni.privateIpv4) list.v4.push(`${a}/32`);
      for (const a of eni.ipv6) list.v6.push(`${a}/128`);
    }
  }
  return members;
}

/** The expanded rules of the groups `groupIds`, in their order (an interface's groups). */
export function compileInterfaceRules(
  model: ModelView,
  groupIds: readonly string[],
  members: Map<string, GroupMembers>,
): InterfaceRules {
  const out: InterfaceRules = {
    ingress: [],
    egress: [],
    ingressRules: [],
    egressRules: [],
    dependsOnGroups: new Set(groupIds),
    dependsOnPrefixLists: new Set(),
  };
  for (const groupId of groupIds) {
    const group = model.group(groupId);
    if (!group) continue;
    for (const rule of group.ingress) addRule(model, rule, members, out, out.ingressRules, out.ingress);
    for (const rule of group.egress) addRule(model, rule, members, out, out.egressRules, out.egress);
  }
  return out;
}

/** True when two expanded lists compile to the same classifier (same rules, same order). */
export function sameClassifierRules(a: readonly ClassifierRule[], b: readonly ClassifierRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (
      x.ruleIndex !== y.ruleIndex ||
      x.protocol !== y.protocol ||
      x.fromPort !== y.fromPort ||
      x.toPort !== y.toPort ||
      x.family !== y.family ||
      x.prefix !== y.prefix
    ) {
      return false;
    }
  }
  return true;
}

function addRule(
  model: ModelView,
  rule: RuleView,
  members: Map<string, GroupMembers>,
  out: InterfaceRules,
  table: RuleView[],
  into: ClassifierRule[],
): void {
  const ruleIndex = table.length;
  table.push(rule);
  const peer = rule.peer;
  switch (peer.kind) {
    case 'cidr4':
      into.push(entry(ruleIndex, rule, 4, peer.cidr));
      break;
    case 'cidr6':
      into.push(entry(ruleIndex, rule, 6, peer.cidr));
      break;
    case 'prefix-list': {
      out.dependsOnPrefixLists.add(peer.prefixListId);
      const list = model.prefixList(peer.prefixListId);
      if (!list) break;
      for (const e of list.entries) into.push(entry(ruleIndex, rule, e.cidr.includes(':') ? 6 : 4, e.cidr));
      break;
    }
    case 'group': {
      out.dependsOnGroups.add(peer.groupId);
      const m = members.get(peer.groupId);
      if (!m) break;
      for (const prefix of m.v4) into.push(entry(ruleIndex, rule, 4, prefix));
      for (const prefix of m.v6) into.push(entry(ruleIndex, rule, 6, prefix));
      break;
    }
  }
}

function entry(ruleIndex: number, rule: RuleView, family: 4 | 6, prefix: string): ClassifierRule {
  return { ruleIndex, protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort, family, prefix };
}
