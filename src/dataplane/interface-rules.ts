// Turns the rules of an interface's groups into the flat, peer-expanded rule lists the
// classifier compiles. A group reference becomes the group's address set (its number in the
// dataplane's GroupAddresses), whose members are the private addresses of the interfaces in the
// group (seed 001: "Incoming traffic is allowed based on the private IP addresses of the
// instances that are associated with the source security group (and not the public IP or Elastic
// IP addresses)"), looked up when a packet is judged: so these lists do not depend on membership
// and a membership change recompiles nothing but the interface that moved. A prefix-list
// reference likewise becomes the list's set, resolved through shared prefix tries, unless the
// list holds a /0 entry: that one is open to the world (MATCH_WORLD, untracked flows), a property
// the classifier compiles in, so such a list expands to its entries; a list gaining or losing
// its /0 then changes the expansion and recompiles its dependents. A reference to a prefix list
// that no longer exists expands to nothing, and one to a group without members matches nothing:
// a stale rule allows no traffic.
//
// Each direction keeps its own rule table (ClassifierRule.ruleIndex indexes it), so a change to
// one direction leaves the other's expansion equal and its compiled classifier reusable.
import type { ClassifierRule } from '../classify/classifier-rule.js';
import type { ModelView, RuleView } from '../model/model-view.js';
import type { SetNumbers } from './address-groups.js';

export interface InterfaceRules {
  ingress: ClassifierRule[];
  egress: ClassifierRule[];
  /** the ruleIndex of an ingress ClassifierRule indexes this table */
  ingressRules: RuleView[];
  /** the ruleIndex of an egress ClassifierRule indexes this table */
  egressRules: RuleView[];
  /** groups (the interface's own) and prefix lists whose change alters these lists */
  dependsOnGroups: Set<string>;
  dependsOnPrefixLists: Set<string>;
}

/** The expanded rules of the groups `groupIds`, in their order (an interface's groups). */
export function compileInterfaceRules(
  model: ModelView,
  groupIds: readonly string[],
  numbers: SetNumbers,
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
    for (const rule of group.ingress) addRule(model, rule, numbers, out, out.ingressRules, out.ingress);
    for (const rule of group.egress) addRule(model, rule, numbers, out, out.egressRules, out.egress);
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
      x.prefix !== y.prefix ||
      x.addressSet !== y.addressSet
    ) {
      return false;
    }
  }
  return true;
}

function addRule(
  model: ModelView,
  rule: RuleView,
  numbers: SetNumbers,
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
      if (list.entries.some((e) => e.cidr.endsWith('/0'))) {
        for (const e of list.entries) into.push(entry(ruleIndex, rule, e.cidr.includes(':') ? 6 : 4, e.cidr));
        break;
      }
      const e = entry(ruleIndex, rule, 4, '');
      e.addressSet = numbers.prefixList(peer.prefixListId);
      into.push(e);
      break;
    }
    case 'group': {
      const e = entry(ruleIndex, rule, 4, '');
      e.addressSet = numbers.group(peer.groupId);
      into.push(e);
      break;
    }
  }
}

function entry(ruleIndex: number, rule: RuleView, family: 4 | 6, prefix: string): ClassifierRule {
  return { ruleIndex, protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort, family, prefix, addressSet: -1 };
}
