// The dataplane's set indirection: every referenced group and prefix list gets a small number,
// and one shared AddressSets (see classify/address-sets.ts) says which groups each managed address
// is in and which prefix lists cover an address. The compiled classifiers hold those numbers
// only, so a membership or prefix-list change rebuilds these tables (a few hundred addresses, a
// list's entries) instead of recompiling every classifier whose rules reference the set.
import { AddressSets, type AddressSetEntry, type PrefixSetEntry } from '../classify/index.js';
import { parsePrefix } from '../classify/prefix.js';
import type { ModelView } from '../model/model-view.js';

export interface GroupMemberAddress {
  family: 4 | 6;
  words: ArrayLike<number>;
  groupIds: readonly string[];
}

/** What the rule expansion asks: the set number standing for a group or a prefix list. */
export interface SetNumbers {
  group(groupId: string): number;
  prefixList(prefixListId: string): number;
}

export class GroupAddresses implements SetNumbers {
  readonly sets = new AddressSets();
  private numbers = new Map<string, number>();
  /** prefix lists with a number: their entries are in the prefix tries */
  private lists = new Set<string>();
  /** a list got a number since the tries were built */
  private listsAdded = false;

  /** A group's set number, assigned on first use and kept until `reset`. */
  group(groupId: string): number {
    return this.number(groupId);
  }

  /** A prefix list's set number (its entries go into the prefix tries at the next `replaceLists`). */
  prefixList(prefixListId: string): number {
    if (!this.lists.has(prefixListId)) {
      this.lists.add(prefixListId);
      this.listsAdded = true;
    }
    return this.number(prefixListId);
  }

  /** Numbers handed out so far (deleted groups and lists keep theirs until `reset`). */
  get assigned(): number {
    return this.numbers.size;
  }

  /** True when the prefix tries miss a list that got its number since they were built. */
  get listsPending(): boolean {
    return this.listsAdded;
  }

  /**
   * Forgets every number, so that they stay dense after many groups came and went. Every
   * classifier compiled with the old numbers must then be checked again (a full applyModel).
   */
  reset(): void {
    this.numbers = new Map();
    this.lists = new Set();
    this.listsAdded = true;
  }

  /** Replaces the membership: each managed address with the groups of the interface owning it. */
  replace(addresses: Iterable<GroupMemberAddress>): void {
    const entries: AddressSetEntry[] = [];
    for (const a of addresses) entries.push({ family: a.family, words: a.words, sets: a.groupIds.map((g) => this.number(g)) });
    this.sets.replace(entries);
  }

  /** Rebuilds the prefix tries from the current entries of every numbered list. */
  replaceLists(model: ModelView): void {
    const entries: PrefixSetEntry[] = [];
    for (const id of this.lists) {
      const list = model.prefixList(id);
      if (list === undefined) continue;
      const set = this.number(id);
      for (const e of list.entries) entries.push({ prefix: parsePrefix(e.cidr), set });
    }
    this.sets.replacePrefixes(entries);
    this.listsAdded = false;
  }

  private number(id: string): number {
    let n = this.numbers.get(id);
    if (n === undefined) this.numbers.set(id, (n = this.numbers.size));
    return n;
  }
}
