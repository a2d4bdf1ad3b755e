// The compiled classifier of one interface and direction: immutable, built once per rule change
// and swapped in whole by the dataplane. matchV4/matchV6 are the per-packet path: a few typed-array
// loads, no allocation. explain is the slow path for logs.
//
// A rule whose peer is an address set (ClassifierRule.addressSet: a security group's members, a
// prefix list's entries) is not in the trie: its class marks the rows it belongs to in the
// table's rowSets bit sets, and when the trie and table find no match for such a row, the
// shared AddressSets is consulted: the peer's exact-address record (the groups of the interface
// owning it) and the prefix-list tries, each set number tested against the row's bits. The sets
// are read at lookup time, so their contents change without a recompile. They are never open to
// the world, so MATCH_WORLD comes from the table alone, as before.
import type { ClassifierRule } from './classifier-rule.js';
import { MATCH } from './classifier-rule.js';
import { AddressSets, type PrefixSetTrie } from './address-sets.js';
import { compileFamily, ENTRY_ROW, SlotMode, TABLE_LIMIT, type FamilyTable } from './family-table.js';
import { trieLeafV4, trieLeafV6 } from './prefix-trie.js';
import { KEY_KIND, KeyKind } from './match-key.js';

export class Classifier {
  private readonly v4: FamilyTable;
  private readonly v6: FamilyTable;
  /** the address sets that rules with `addressSet` ≥ 0 name (shared, changed in place by its owner) */
  private readonly sets: AddressSets;

  constructor(v4: FamilyTable, v6: FamilyTable, sets: AddressSets) {
    this.v4 = v4;
    this.v6 = v6;
    this.sets = sets;
  }

  /**
   * Match bits (MATCH, MATCH_WORLD) for an IPv4 packet. `portOrType` is the destination port for
   * TCP/UDP and the type for ICMP (`icmpCode` its code); pass 0 for other protocols. `addr` is
   * the peer: the source for ingress, the destination for egress.
   */
  matchV4(protocol: number, portOrType: number, icmpCode: number, addr: number): number {
    const t = this.v4;
    const e = intervalEntry(t, protocol, portOrType, icmpCode);
    if (e < ENTRY_ROW) return e;
    const row = e - ENTRY_ROW;
    // An address outside every prefix reaches leaf 0, the empty class set: no row meets it.
    if (rowMeetsColumn(t, row, trieLeafV4(t.nodes, t.root, t.rootLevel, t.rootCheck, addr)) !== 0) return MATCH;
    return t.rowHasSets[row] === 0 ? 0 : setsMeetRowV4(this.sets, t, row, addr);
  }

  /** As matchV4, the peer address as four big-endian 32-bit words. */
  matchV6(protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number {
    const t = this.v6;
    const e = intervalEntry(t, protocol, portOrType, icmpCode);
    if (e < ENTRY_ROW) return e;
    const row = e - ENTRY_ROW;
    if (rowMeetsColumn(t, row, trieLeafV6(t.nodes, t.root, t.rootLevel, t.rootCheck, w0, w1, w2, w3)) !== 0) return MATCH;
    return t.rowHasSets[row] === 0 ? 0 : setsMeetRowV6(this.sets, t, row, w0, w1, w2, w3);
  }

  /**
   * True when the rules allow every port (TCP/UDP 0-65535), every ICMP type and code, or all
   * traffic of `protocol` from/to the world prefix. Protocol -1 asks it of every protocol. The
   * dataplane pairs this (other direction) with MATCH_WORLD to find untracked flows (seed 001).
   */
  allowsAllToWorld(family: 4 | 6, protocol: number): boolean {
    const all = (family === 4 ? this.v4 : this.v6).allWorld;
    if (protocol >= 0) return all[protocol & 255] === 1;
    for (let p = 0; p < 256; p++) if (all[p] !== 1) return false;
    return true;
  }

  /** Every ruleIndex whose rule allows this IPv4 packet, ascending, each once (slow path). */
  explainV4(protocol: number, portOrType: number, icmpCode: number, addr: number): number[] {
    return explain(this.v4, this.sets, 4, protocol, portOrType, icmpCode, addr, 0, 0, 0);
  }

  explainV6(protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number[] {
    return explain(this.v6, this.sets, 6, protocol, portOrType, icmpCode, w0, w1, w2, w3);
  }
}

export interface CompileOptions {
  /**
   * Largest port-row × address-column table to precompute (default 4 Mi cells, one byte each);
   * past it lookups intersect the two class sets instead. Tests set 0 to exercise that path.
   */
  maxTableCells?: number;
  /**
   * The sets that rules with `addressSet` ≥ 0 name, read at every lookup: the classifier keeps
   * this object, so replacing its contents changes what those rules match without a recompile.
   * Required when a rule names a set.
   */
  addressSets?: AddressSets;
}

/** Stands in when no rule names a set: never consulted (no row has set bits). */
const NO_SETS = new AddressSets();

export function compileClassifier(rules: readonly ClassifierRule[], options: CompileOptions = {}): Classifier {
  const cells = options.maxTableCells ?? TABLE_LIMIT;
  const sets = options.addressSets ?? NO_SETS;
  if (options.addressSets === undefined) {
    const named = rules.findIndex((r) => (r.addressSet ?? -1) >= 0);
    if (named >= 0) {
      throw new Error(
        `compileClassifier: rule ${named} (ruleIndex ${rules[named].ruleIndex}) names address set ${rules[named].addressSet}, but no addressSets were given`,
      );
    }
  }
  return new Classifier(compileFamily(rules, 4, cells), compileFamily(rules, 6, cells), sets);
}

/**
 * MATCH when one of the sets holding the IPv4 peer is among the row's (t.rowSets): its exact
 * address record first (one hash probe), then the prefix-list trie when there is one.
 */
function setsMeetRowV4(s: AddressSets, t: FamilyTable, row: number, addr: number): number {
  const o = s.slotV4(addr);
  if (o >= 0 && slotMeetsRow(s, o, t, row) !== 0) return MATCH;
  const p = s.v4;
  if (p.empty) return 0;
  return leafMeetsRow(p, trieLeafV4(p.nodes, p.root, p.level, p.check, addr), t, row);
}

/** As setsMeetRowV4, for an IPv6 peer as four words. */
function setsMeetRowV6(s: AddressSets, t: FamilyTable, row: number, w0: number, w1: number, w2: number, w3: number): number {
  const o = s.slotV6(w0, w1, w2, w3);
  if (o >= 0 && slotMeetsRow(s, o, t, row) !== 0) return MATCH;
  const p = s.v6;
  if (p.empty) return 0;
  return leafMeetsRow(p, trieLeafV6(p.nodes, p.root, p.level, p.check, w0, w1, w2, w3), t, row);
}

/**
 * The address's sets (a few: the groups of the interface owning it) against the row's bit set,
 * so the cost follows the peer's group count, not the number of rules or groups. `o`: the
 * address's record in the table (see AddressSets.table).
 */
function slotMeetsRow(s: AddressSets, o: number, t: FamilyTable, row: number): number {
  const words = t.setWords;
  const bits = t.rowSets;
  const base = row * words;
  const table = s.table;
  const count = table[o + 5];
  if (count <= 2) {
    const a = table[o + 6];
    const b = table[o + 7]; // equal to a when count is 1
    if (a >> 5 < words && (bits[base + (a >> 5)] & (1 << (a & 31))) !== 0) return MATCH;
    return b >> 5 < words && (bits[base + (b >> 5)] & (1 << (b & 31))) !== 0 ? MATCH : 0;
  }
  const sets = s.sets;
  for (let i = table[o + 6], end = i + count; i < end; i++) {
    const n = sets[i];
    if (n >> 5 < words && (bits[base + (n >> 5)] & (1 << (n & 31))) !== 0) return MATCH;
  }
  return 0;
}

/** The sets of a prefix-list trie leaf (the lists covering the peer) against the row's bit set. */
function leafMeetsRow(p: PrefixSetTrie, leaf: number, t: FamilyTable, row: number): number {
  const words = t.setWords;
  const bits = t.rowSets;
  const base = row * words;
  const sets = p.sets;
  for (let i = p.start[leaf], end = p.start[leaf + 1]; i < end; i++) {
    const n = sets[i];
    if (n >> 5 < words && (bits[base + (n >> 5)] & (1 << (n & 31))) !== 0) return MATCH;
  }
  return 0;
}

/** MATCH when a class of the port interval's row has a prefix holding the address (column). */
function rowMeetsColumn(t: FamilyTable, row: number, column: number): number {
  if (t.table.length !== 0) return t.table[row * t.columns + column];
  const bits = t.rowBits;
  const base = row * t.rowWords;
  const classes = t.leafClasses;
  for (let i = t.leafStart[column], end = t.leafStart[column + 1]; i < end; i++) {
    const id = classes[i];
    if ((bits[base + (id >> 5)] & (1 << (id & 31))) !== 0) return MATCH;
  }
  return 0;
}

function packetKey(protocol: number, portOrType: number, icmpCode: number): number {
  const kind = KEY_KIND[protocol & 255];
  if (kind === KeyKind.PORT) return portOrType & 0xffff;
  if (kind === KeyKind.ICMP) return ((portOrType & 255) << 8) | (icmpCode & 255);
  return 0;
}

function intervalEntry(t: FamilyTable, protocol: number, portOrType: number, icmpCode: number): number {
  const slot = t.protoSlot[protocol & 255];
  const base = t.slotIvBase[slot];
  if (t.slotMode[slot] === SlotMode.SINGLE) return t.ivEntry[base];
  const key = packetKey(protocol, portOrType, icmpCode);
  const c = t.slotCoarse[slot] + (key >>> 8);
  let lo = t.coarse[c];
  let hi = t.coarse[c + 1];
  const bounds = t.bounds;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[base + mid] <= key) lo = mid;
    else hi = mid - 1;
  }
  return t.ivEntry[base + lo];
}

function explain(
  t: FamilyTable,
  s: AddressSets,
  family: 4 | 6,
  protocol: number,
  portOrType: number,
  icmpCode: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): number[] {
  const key = packetKey(protocol, portOrType, icmpCode);
  const found = new Set<number>();
  const p = t.rulePrefix;
  let peerSets: number[] | null = null; // the sets holding the peer, looked up once when needed
  for (let i = 0; i < t.ruleIndex.length; i++) {
    const rp = t.ruleProto[i];
    if (rp !== -1 && rp !== protocol) continue;
    if (key < t.ruleLo[i] || key > t.ruleHi[i]) continue;
    const set = t.ruleSet[i];
    if (set >= 0) {
      peerSets ??= s.setsOf(family, w0, w1, w2, w3);
      if (peerSets.includes(set)) found.add(t.ruleIndex[i]);
      continue;
    }
    const b = i * 8;
    if (((w0 ^ p[b]) & p[b + 1]) !== 0 || ((w1 ^ p[b + 2]) & p[b + 3]) !== 0) continue;
    if (((w2 ^ p[b + 4]) & p[b + 5]) !== 0 || ((w3 ^ p[b + 6]) & p[b + 7]) !== 0) continue;
    found.add(t.ruleIndex[i]);
  }
  return [...found].sort((a, b) => a - b);
}
