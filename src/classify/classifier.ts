// The compiled classifier of one interface and direction: immutable, built once per rule change
// and swapped in whole by the dataplane. matchV4/matchV6 are the per-packet path: a few typed-array
// loads, no allocation. explain is the slow path for logs.
import type { ClassifierRule } from './classifier-rule.js';
import { MATCH } from './classifier-rule.js';
import { compileFamily, ENTRY_ROW, SlotMode, TABLE_LIMIT, type FamilyTable } from './family-table.js';
import { CHAIN, CHAIN_END, CHAIN_NEXT, CHAIN_OTHERWISE, SPARSE } from './prefix-trie.js';
import { KEY_KIND, KeyKind } from './match-key.js';

export class Classifier {
  private readonly v4: FamilyTable;
  private readonly v6: FamilyTable;

  constructor(v4: FamilyTable, v6: FamilyTable) {
    this.v4 = v4;
    this.v6 = v6;
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
    const check = t.rootCheck;
    if (((addr ^ check[0]) & check[1]) !== 0) return 0;
    const nodes = t.nodes;
    let n = t.root;
    let level = t.rootLevel;
    while (n >= 0) {
      if (n < SPARSE) {
        n = nodes[n + ((addr >>> (24 - (level << 3))) & 255)];
        level++;
      } else if (n < CHAIN) {
        n = sparseNext(nodes, n ^ SPARSE, (addr >>> (24 - (level << 3))) & 255);
        level++;
      } else {
        const o = n ^ CHAIN;
        if (((addr ^ nodes[o]) & nodes[o + 1]) !== 0) {
          n = nodes[o + CHAIN_OTHERWISE];
        } else {
          level = nodes[o + CHAIN_END];
          n = nodes[o + CHAIN_NEXT];
        }
      }
    }
    return rowMeetsColumn(t, e - ENTRY_ROW, -1 - n);
  }

  /** As matchV4, the peer address as four big-endian 32-bit words. */
  matchV6(protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number {
    const t = this.v6;
    const e = intervalEntry(t, protocol, portOrType, icmpCode);
    if (e < ENTRY_ROW) return e;
    const check = t.rootCheck;
    if (
      (((w0 ^ check[0]) & check[1]) | ((w1 ^ check[2]) & check[3]) | ((w2 ^ check[4]) & check[5]) | ((w3 ^ check[6]) & check[7])) !==
      0
    )
      return 0;
    const nodes = t.nodes;
    let n = t.root;
    let level = t.rootLevel;
    while (n >= 0) {
      if (n < SPARSE) {
        n = nodes[n + v6Byte(level, w0, w1, w2, w3)];
        level++;
      } else if (n < CHAIN) {
        n = sparseNext(nodes, n ^ SPARSE, v6Byte(level, w0, w1, w2, w3));
        level++;
      } else {
        const o = n ^ CHAIN;
        if (
          (((w0 ^ nodes[o]) & nodes[o + 1]) |
            ((w1 ^ nodes[o + 2]) & nodes[o + 3]) |
            ((w2 ^ nodes[o + 4]) & nodes[o + 5]) |
            ((w3 ^ nodes[o + 6]) & nodes[o + 7])) !==
          0
        ) {
          n = nodes[o + CHAIN_OTHERWISE];
        } else {
          level = nodes[o + CHAIN_END];
          n = nodes[o + CHAIN_NEXT];
        }
      }
    }
    return rowMeetsColumn(t, e - ENTRY_ROW, -1 - n);
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
    return explain(this.v4, protocol, portOrType, icmpCode, addr, 0, 0, 0);
  }

  explainV6(protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number[] {
    return explain(this.v6, protocol, portOrType, icmpCode, w0, w1, w2, w3);
  }
}

export interface CompileOptions {
  /**
   * Largest port-row × address-column table to precompute (default 4 Mi cells, one byte each);
   * past it lookups intersect the two class sets instead. Tests set 0 to exercise that path.
   */
  maxTableCells?: number;
}

export function compileClassifier(rules: readonly ClassifierRule[], options: CompileOptions = {}): Classifier {
  const cells = options.maxTableCells ?? TABLE_LIMIT;
  return new Classifier(compileFamily(rules, 4, cells), compileFamily(rules, 6, cells));
}

/** A sparse node's entry for byte `b`: [count, otherwise, b1..bcount, e1..ecount]. */
function sparseNext(nodes: Int32Array, o: number, b: number): number {
  const count = nodes[o];
  for (let j = o + 2, end = o + 2 + count; j < end; j++) if (nodes[j] === b) return nodes[j + count];
  return nodes[o + 1];
}

/** Byte `level` (0 = most significant) of an IPv6 address given as four words. */
function v6Byte(level: number, w0: number, w1: number, w2: number, w3: number): number {
  const w = level < 8 ? (level < 4 ? w0 : w1) : level < 12 ? w2 : w3;
  return (w >>> (24 - ((level & 3) << 3))) & 255;
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
  for (let i = 0; i < t.ruleIndex.length; i++) {
    const rp = t.ruleProto[i];
    if (rp !== -1 && rp !== protocol) continue;
    if (key < t.ruleLo[i] || key > t.ruleHi[i]) continue;
    const b = i * 8;
    if (((w0 ^ p[b]) & p[b + 1]) !== 0 || ((w1 ^ p[b + 2]) & p[b + 3]) !== 0) continue;
    if (((w2 ^ p[b + 4]) & p[b + 5]) !== 0 || ((w3 ^ p[b + 6]) & p[b + 7]) !== 0) continue;
    found.add(t.ruleIndex[i]);
  }
  return [...found].sort((a, b) => a - b);
}
