// What differs between two states, for a store that reloaded its state whole (etcd-store.ts's
// resync): records are compared by value, so a reload that brings back the same records is no change.
import { ChangeSet } from './change.js';
import type { ModelState } from './records.js';

/** Structural equality of two records (JSON values): a reload tells apart what really changed. */
function sameRecord(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !sameRecord(v, b.get(k))) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameRecord((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function differingIds<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>, into: Set<string>): void {
  for (const [id, record] of after) if (!sameRecord(before.get(id), record)) into.add(id);
  for (const id of before.keys()) if (!after.has(id)) into.add(id);
}

/**
 * The groups, interfaces and prefix lists whose records are not equal in `before` and `next`, plus
 * the groups whose rules (in either) reference a changed prefix list; undefined when nothing
 * differs, VPCs and subnets included.
 */
export function stateDifference(before: ModelState, next: ModelState): ChangeSet | undefined {
  const change = new ChangeSet();
  differingIds(before.groups, next.groups, change.groupIds);
  differingIds(before.interfaces, next.interfaces, change.interfaceIds);
  differingIds(before.prefixLists, next.prefixLists, change.prefixListIds);
  const vpcsDiffer = new Set<string>();
  differingIds(before.vpcs, next.vpcs, vpcsDiffer);
  differingIds(before.subnets, next.subnets, vpcsDiffer);
  if (change.groupIds.size + change.interfaceIds.size + change.prefixListIds.size + vpcsDiffer.size === 0) return undefined;
  for (const state of [before, next]) {
    for (const g of state.groups.values()) {
      for (const r of [...g.ingress, ...g.egress]) {
        if (r.peer.kind === 'prefix-list' && change.prefixListIds.has(r.peer.prefixListId)) change.groupIds.add(g.groupId);
      }
    }
  }
  return change;
}
