// Turns the rules of an interface's groups into the flat, peer-expanded rule lists the
// classifier compiles. Group references become the members' private addresses (seed 001:
// "Incoming traffic is allowed based on the private IP addresses of the instances that are
// associated with the source security group (and not the public IP or Elastic IP addresses)");
// prefix lists become their entries. A reference to a group or prefix list that no longer exists
// expands to nothing: a stale rule allows no traffic.
import type { ClassifierRule } from '../classify/classifier-rule.js';
import type { InterfaceView, ModelView, RuleView } from '../model/model-view.js';

export interface InterfaceRules {
  ingress: ClassifierRule[];
  egress: ClassifierRule[];
  /** ClassifierRule.ruleIndex indexes this table */
  rules: RuleView[];
  /** groups and prefix lists whose change alters these lists */
  dependsOnGroups: Set<string>;
  dependsOnPrefixLists: Set<string>;
}

/** Private addresses of every interface in each group, as host prefixes. */
export function membersByGroup(model: ModelView): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const eni of model.interfaces()) {
    for (const groupId of eni.groupIds) {
      let list = members.get(groupId);
      if (!list) members.set(groupId, (list = []));
      for (const a of eni.privateIpv4) list.push(`${a}/32`);
      for (const a of eni.ipv6) list.push(`${a}/128`);
    }
  }
  return members;
}

export function compileInterfaceRules(
  model: ModelView,
  eni: InterfaceView,
  members: Map<string, string[]>,
): InterfaceRules {
  const out: InterfaceRules = {
    ingress: [],
    egress: [],
    rules: [],
    dependsOnGroups: new Set(eni.groupIds),
    dependsOnPrefixLists: new Set(),
  };
  for (const groupId of eni.groupIds) {
    const group = model.group(groupId);
    if (!group) continue;
    for (const rule of group.ingress) addRule(model, rule, members, out, out.ingress);
    for (const rule of group.egress) addRule(model, rule, members, out, out.egress);
  }
  return out;
}

function addRule(
  model: ModelView,
  rule: RuleView,
  members: Map<string, string[]>,
  out: InterfaceRules,
  into: ClassifierRule[],
): void {
  const ruleIndex = out.rules.length;
  out.rules.push(rule);
  const base = { ruleIndex, protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort };
  const peer = rule.peer;
  switch (peer.kind) {
    case 'cidr4':
      into.push({ ...base, family: 4, prefix: peer.cidr });
      break;
    case 'cidr6':
      into.push({ ...base, family: 6, prefix: peer.cidr });
      break;
    case 'prefix-list': {
      out.dependsOnPrefixLists.add(peer.prefixListId);
      const list = model.prefixList(peer.prefixListId);
      if (!list) break;
      for (const entry of list.entries) {
        into.push({ ...base, family: entry.cidr.includes(':') ? 6 : 4, prefix: entry.cidr });
      }
      break;
    }
    case 'group': {
      out.dependsOnGroups.add(peer.groupId);
      for (const prefix of members.get(peer.groupId) ?? []) {
        into.push({ ...base, family: prefix.includes(':') ? 6 : 4, prefix });
      }
      break;
    }
  }
}
