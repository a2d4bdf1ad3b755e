// What a new model changed against the one in force, for the log line and for the Dataplane's
// partial rebuild: ids of groups, interfaces and (referenced) prefix lists added, removed or
// changed. Used by host mode's SIGHUP reload (live/host-reload.ts) and by each poll of an EC2
// account (source/account-view.ts). Rule ids are left out of the comparison: state files without them get
// fresh ones on every load, and a rule is the same rule whatever it is called.
import type { GroupView, ModelView, RuleView } from '../model/model-view.js';

export interface ModelDiff {
  groupsAdded: string[];
  groupsRemoved: string[];
  groupsChanged: string[];
  interfacesAdded: string[];
  interfacesRemoved: string[];
  interfacesChanged: string[];
  prefixListsChanged: string[];
}

export function diffModels(before: ModelView, after: ModelView): ModelDiff {
  const groups = compare(keyed(before.groups(), (g) => g.groupId, groupText), keyed(after.groups(), (g) => g.groupId, groupText));
  const interfaces = compare(
    keyed(before.interfaces(), (i) => i.interfaceId, (i) => JSON.stringify(i)),
    keyed(after.interfaces(), (i) => i.interfaceId, (i) => JSON.stringify(i)),
  );
  const lists = new Set([...referencedLists(before), ...referencedLists(after)]);
  const prefixListsChanged = [...lists].filter((id) => JSON.stringify(before.prefixList(id)) !== JSON.stringify(after.prefixList(id))).sort();
  return {
    groupsAdded: groups.added,
    groupsRemoved: groups.removed,
    groupsChanged: groups.changed,
    interfacesAdded: interfaces.added,
    interfacesRemoved: interfaces.removed,
    interfacesChanged: interfaces.changed,
    prefixListsChanged,
  };
}

function keyed<T>(items: Iterable<T>, id: (t: T) => string, text: (t: T) => string): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of items) m.set(id(t), text(t));
  return m;
}

function compare(a: Map<string, string>, b: Map<string, string>): { added: string[]; removed: string[]; changed: string[] } {
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed = [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k)).sort();
  return { added, removed, changed };
}

function ruleText(r: RuleView): string {
  const { ruleId: _id, ...rest } = r;
  return JSON.stringify(rest);
}

function groupText(g: GroupView): string {
  const rules = (list: readonly RuleView[]): string[] => list.map(ruleText).sort();
  return JSON.stringify([g.groupName, g.vpcId, g.description, rules(g.ingress), rules(g.egress)]);
}

function referencedLists(m: ModelView): string[] {
  const ids: string[] = [];
  for (const g of m.groups()) for (const r of [...g.ingress, ...g.egress]) if (r.peer.kind === 'prefix-list') ids.push(r.peer.prefixListId);
  return ids;
}
