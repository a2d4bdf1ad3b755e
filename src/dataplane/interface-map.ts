// The interface map: which managed interface each index is, its compiled rules, and which index
// each managed address belongs to. Rebuilt from the model on every change (only what the change
// touches), then swapped in whole by the Dataplane between two frames; the per-packet path only
// reads what `apply` leaves in `interfaces` and `addresses`.
import type { Classifier } from '../classify/index.js';
import type { ConntrackTable } from '../conntrack/index.js';
import type { ConntrackTimeouts, InterfaceView, ModelView } from '../model/model-view.js';
import type { GroupAddresses, GroupMemberAddress } from './address-groups.js';
import { AddressTable } from './address-table.js';
import { addressToWordsCached } from './address-words.js';
import type { InterfaceRules } from './interface-rules.js';
import type { RuleSetCache } from './rule-set-cache.js';

export interface ModelChange {
  groupIds?: readonly string[];
  interfaceIds?: readonly string[];
  prefixListIds?: readonly string[];
}

/** A managed interface as the per-packet path needs it: compiled, immutable, swapped whole. */
export interface CompiledInterface {
  readonly index: number;
  readonly interfaceId: string;
  readonly groupIds: readonly string[];
  readonly ingress: Classifier;
  readonly egress: Classifier;
  readonly timeouts: ConntrackTimeouts;
  readonly rules: InterfaceRules;
}

export class InterfaceMap {
  /** by index; null where an interface was removed (its index is free again) */
  interfaces: (CompiledInterface | null)[] = [];
  /** managed address → interface index */
  addresses = new AddressTable();
  private readonly indexById = new Map<string, number>();
  /** set numbers handed out by the last numbering from scratch: all live then */
  private liveNumbers = 0;

  /**
   * `groupAddresses`: which groups each managed address is in (group references resolve through
   * it); `ruleSets`: compiled rule sets shared by interfaces with the same groups.
   */
  constructor(
    private readonly groupAddresses: GroupAddresses,
    private readonly ruleSets: RuleSetCache,
  ) {}

  indexOf(interfaceId: string): number | undefined {
    return this.indexById.get(interfaceId);
  }

  /**
   * Rebuilds the compiled rules of the interfaces a change affects (all of them when `change`
   * is omitted) and swaps them in. The flows of removed interfaces leave `conntrack`.
   */
  apply(model: ModelView, conntrack: ConntrackTable, change?: ModelChange): void {
    const current = new Map<string, InterfaceView>();
    for (const eni of model.interfaces()) current.set(eni.interfaceId, eni);
    // Numbers of deleted groups and lists are never reused: renumber densely once there are four
    // times as many as were live at the last numbering from scratch (counted against those, not the
    // model's groups: a worker's mirror holds only the groups in use, model-mirror.ts).
    let fresh = this.groupAddresses.assigned === 0;
    if (this.groupAddresses.assigned > Math.max(1024, 4 * this.liveNumbers)) {
      this.groupAddresses.reset();
      change = undefined;
      fresh = true;
    }

    const touchedGroups = new Set(change?.groupIds ?? []);
    const touchedLists = new Set(change?.prefixListIds ?? []);
    // A membership change alters the interface's own rules and the group address table, not
    // the rules that reference its groups: those hold set numbers (see address-groups.ts). A
    // prefix-list change rebuilds the list tries, and re-expands its dependents only to see
    // whether the list gained or lost a /0 entry (see interface-rules.ts).
    const touchedInterfaces = new Set(change?.interfaceIds ?? []);

    // Interface addresses only change with the interfaces themselves: other changes keep the table.
    let layoutChanged = !change || touchedInterfaces.size > 0;
    const next = this.interfaces.slice();
    for (const [id, index] of this.indexById) {
      if (!current.has(id)) {
        next[index] = null;
        conntrack.removeFlowsOf(index);
        layoutChanged = true;
      }
    }
    this.ruleSets.beginRound();
    for (const eni of current.values()) {
      let index = this.indexById.get(eni.interfaceId);
      const before = index === undefined ? null : next[index];
      if (change && before && !touchedInterfaces.has(eni.interfaceId) && !dependsOn(before.rules, touchedGroups, touchedLists)) {
        continue;
      }
      if (index === undefined) {
        index = this.freeIndex(next);
        this.indexById.set(eni.interfaceId, index);
        layoutChanged = true;
      }
      const compiled = this.ruleSets.get(model, eni.groupIds);
      next[index] = {
        index,
        interfaceId: eni.interfaceId,
        groupIds: [...eni.groupIds],
        ingress: compiled.ingress,
        egress: compiled.egress,
        timeouts: { ...eni.conntrack },
        rules: compiled.rules,
      };
    }
    for (const [id] of this.indexById) if (!current.has(id)) this.indexById.delete(id);
    if (layoutChanged) this.ruleSets.retain(next.flatMap((c) => (c === null ? [] : [c.groupIds])));

    let addresses = this.addresses;
    let members: GroupMemberAddress[] | null = null;
    if (layoutChanged) {
      addresses = new AddressTable(current.size * 2);
      members = [];
      for (const eni of current.values()) {
        const index = this.indexById.get(eni.interfaceId)!;
        for (const list of [eni.privateIpv4, eni.ipv6]) {
          for (const a of list) {
            const { family, words } = addressToWordsCached(a);
            addresses.set(family, words, index);
            members.push({ family, words, groupIds: eni.groupIds });
          }
        }
      }
    }
    // The swap, between two frames, so a frame sees the old or the new state, never a mix.
    // (the lists first: parsing their entries is all that could throw, before anything changed)
    if (!change || touchedLists.size > 0 || this.groupAddresses.listsPending) this.groupAddresses.replaceLists(model);
    if (members !== null) this.groupAddresses.replace(members);
    this.interfaces = next;
    this.addresses = addresses;
    if (fresh) this.liveNumbers = this.groupAddresses.assigned;
  }

  private freeIndex(list: (CompiledInterface | null)[]): number {
    for (let i = 0; i < list.length; i++) if (list[i] === null && !this.isIndexUsed(i)) return i;
    list.push(null);
    return list.length - 1;
  }

  private isIndexUsed(index: number): boolean {
    for (const i of this.indexById.values()) if (i === index) return true;
    return false;
  }
}

function dependsOn(rules: InterfaceRules, groups: Set<string>, lists: Set<string>): boolean {
  for (const g of groups) if (rules.dependsOnGroups.has(g)) return true;
  for (const l of lists) if (rules.dependsOnPrefixLists.has(l)) return true;
  return false;
}
