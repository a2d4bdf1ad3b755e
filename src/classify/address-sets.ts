// Numbered address sets, shared by every classifier of a dataplane and consulted after the
// classifier's own trie: a rule whose peer is a security group or a prefix list compiles to the
// set's number, not to one prefix per member or entry. A membership or prefix-list change then
// rewrites these tables instead of recompiling every classifier that references the set (issue 6,
// change latency: 40 classifiers and ~10 ms per change before).
//
// Two kinds of set, one number space: exact addresses (a group's members' private addresses) in
// a hash table mapping an address to the numbers of the sets holding it, and prefixes (a prefix
// list's entries) in one trie per family whose leaves are the sets covering that range. Both are
// typed arrays, so the per-packet probe reads numbers only. `replace`/`replacePrefixes` swap in
// whole arrays; the dataplane calls them between two frames, inside the same synchronous
// applyModel that swaps the interfaces, so a frame sees the old sets or the new, never a mix.
import { addressHashV4, addressHashV6 } from './address-hash.js';
import type { ParsedPrefix } from './prefix.js';
import { buildClassTrie, trieLeafV4, trieLeafV6, type ClassTrie } from './prefix-trie.js';

export interface AddressSetEntry {
  family: 4 | 6;
  /** the address as four big-endian words (IPv4 in word 0, the rest 0) */
  words: ArrayLike<number>;
  /** numbers of the sets holding it */
  sets: readonly number[];
}

/** ints per record of the exact-address table */
export const SLOT = 8;

export interface PrefixSetEntry {
  prefix: Readonly<ParsedPrefix>;
  set: number;
}

/** A built trie with its leaves' sets flattened: leaf l holds sets[start[l] .. start[l + 1]). */
export interface PrefixSetTrie {
  nodes: Int32Array;
  root: number;
  level: number;
  check: Int32Array;
  start: Int32Array;
  sets: Int32Array;
  /** no prefix at all: the walk is skipped */
  empty: boolean;
}

export class AddressSets {
  /** prefix sets by family */
  v4: PrefixSetTrie = flatten(buildClassTrie([]));
  v6: PrefixSetTrie = flatten(buildClassTrie([]));

  mask = 0;
  /**
   * SLOT ints per slot: [family (0 = empty, 4 or 6), w0, w1, w2, w3, count, a, b]: the set
   * numbers are a and b when count ≤ 2 (an interface in one or two groups), else count numbers
   * from sets[a]. One record per probe, so a lookup touches one or two cache lines.
   */
  table = new Int32Array(SLOT);
  sets = new Int32Array(0);
  /** addresses held */
  size = 0;

  /** Replaces every entry. An address listed twice holds the union of its sets. */
  replace(entries: Iterable<AddressSetEntry>): void {
    const list: AddressSetEntry[] = [];
    for (const e of entries) if (e.sets.length > 0) list.push(e);
    let cap = 16;
    while (cap < list.length * 2) cap <<= 1;
    const mask = cap - 1;
    const table = new Int32Array(cap * SLOT);
    const slotSets: (number[] | undefined)[] = new Array(cap);
    let size = 0;
    for (const e of list) {
      const w0 = e.words[0] | 0;
      const w1 = e.words[1] | 0;
      const w2 = e.words[2] | 0;
      const w3 = e.words[3] | 0;
      let i = (e.family === 4 ? addressHashV4(w0) : addressHashV6(w0, w1, w2, w3)) & mask;
      for (;;) {
        const o = i * SLOT;
        const f = table[o];
        if (f === 0) {
          table[o] = e.family;
          table[o + 1] = w0;
          table[o + 2] = w1;
          table[o + 3] = w2;
          table[o + 4] = w3;
          slotSets[i] = [...e.sets];
          size++;
          break;
        }
        if (f === e.family && table[o + 1] === w0 && table[o + 2] === w1 && table[o + 3] === w2 && table[o + 4] === w3) {
          // the same address on two interfaces (two VPCs): it is in the groups of both
          const merged = slotSets[i]!;
          for (const n of e.sets) if (!merged.includes(n)) merged.push(n);
          break;
        }
        i = (i + 1) & mask;
      }
    }
    const sets: number[] = [];
    for (let i = 0; i < cap; i++) {
      const own = slotSets[i];
      if (own === undefined) continue;
      const o = i * SLOT;
      table[o + 5] = own.length;
      if (own.length <= 2) {
        table[o + 6] = own[0];
        table[o + 7] = own.length === 2 ? own[1] : own[0];
      } else {
        table[o + 6] = sets.length;
        for (const n of own) sets.push(n);
      }
    }
    this.mask = mask;
    this.table = table;
    this.sets = Int32Array.from(sets);
    this.size = size;
  }

  /** Replaces every prefix set: `entries` are their prefixes, either family. */
  replacePrefixes(entries: Iterable<PrefixSetEntry>): void {
    const v4: { prefix: ParsedPrefix; classId: number }[] = [];
    const v6: { prefix: ParsedPrefix; classId: number }[] = [];
    for (const e of entries) (e.prefix.family === 4 ? v4 : v6).push({ prefix: e.prefix as ParsedPrefix, classId: e.set });
    const t4 = flatten(buildClassTrie(v4));
    const t6 = flatten(buildClassTrie(v6));
    this.v4 = t4;
    this.v6 = t6;
  }

  /** Offset of an IPv4 address's record in `table`, or -1. Words may come as uint32 or int32. */
  slotV4(addr: number): number {
    const table = this.table;
    const w0 = addr | 0;
    let i = addressHashV4(w0) & this.mask;
    for (;;) {
      const o = i * SLOT;
      const f = table[o];
      if (f === 0) return -1;
      if (f === 4 && table[o + 1] === w0) return o;
      i = (i + 1) & this.mask;
    }
  }

  /** Slot of an IPv6 address, or -1. */
  slotV6(a0: number, a1: number, a2: number, a3: number): number {
    const table = this.table;
    const w0 = a0 | 0;
    const w1 = a1 | 0;
    const w2 = a2 | 0;
    const w3 = a3 | 0;
    let i = addressHashV6(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const o = i * SLOT;
      const f = table[o];
      if (f === 0) return -1;
      if (f === 6 && table[o + 1] === w0 && table[o + 2] === w1 && table[o + 3] === w2 && table[o + 4] === w3) return o;
      i = (i + 1) & this.mask;
    }
  }

  /** The set numbers holding an address (slow path: explain and tests). */
  setsOf(family: 4 | 6, w0: number, w1: number, w2: number, w3: number): number[] {
    const out: number[] = [];
    const slot = family === 4 ? this.slotV4(w0 | 0) : this.slotV6(w0 | 0, w1 | 0, w2 | 0, w3 | 0);
    if (slot >= 0) {
      const count = this.table[slot + 5];
      if (count <= 2) out.push(...this.table.subarray(slot + 6, slot + 6 + count));
      else out.push(...this.sets.subarray(this.table[slot + 6], this.table[slot + 6] + count));
    }
    const t = family === 4 ? this.v4 : this.v6;
    const leaf =
      family === 4
        ? trieLeafV4(t.nodes, t.root, t.level, t.check, w0 | 0)
        : trieLeafV6(t.nodes, t.root, t.level, t.check, w0 | 0, w1 | 0, w2 | 0, w3 | 0);
    out.push(...t.sets.subarray(t.start[leaf], t.start[leaf + 1]));
    return [...new Set(out)];
  }
}

function flatten(trie: ClassTrie): PrefixSetTrie {
  const start = new Int32Array(trie.leafSets.length + 1);
  trie.leafSets.forEach((set, leaf) => (start[leaf + 1] = start[leaf] + set.length));
  return {
    nodes: trie.nodes,
    root: trie.root,
    level: trie.level,
    check: trie.check,
    start,
    sets: Int32Array.from(trie.leafSets.flat()),
    empty: trie.leafSets.length <= 1,
  };
}
