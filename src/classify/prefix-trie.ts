// One multibit trie (8-bit stride) per address family over every prefix of every rule, answering
// "which rule classes have a prefix containing this address". Its leaves are ids of class sets
// (leaf pushing: each leaf holds all classes whose prefixes cover that address range), and the
// caller crosses that id with the port interval's class set in a precomputed table. One trie
// for the whole family, rather than one per port interval, keeps memory at the size of the rule
// set itself: measured on 10,000 rules with 18 port specs, per-interval tries took 4 MB of nodes
// and lookups slowed by 3x as the rules grew; the shared trie stays in cache.
//
// A lookup is at most 4 steps for IPv4 and 16 for IPv6 however many prefixes there are, which
// keeps its cost flat from 10 to 10,000 rules. Node kinds, in one Int32Array:
// - leaf: entry < 0, class-set id = -1 - entry;
// - full node: entry = offset (no tag), 256 entries, one per value of the next byte;
// - chain node: entry = offset | CHAIN: [v0, m0, v1, m1, v2, m2, v3, m3, endLevel, next, otherwise]:
//   the address words masked by m must equal v (the next bytes of a single path) to continue at
//   `next` from byte `endLevel`, else the answer is leaf `otherwise`. A lone host (/32, /128) below
//   a dense level would otherwise cost a 1 KiB full node per byte; comparing whole masked words
//   instead of byte by byte took IPv6 lookups at 10,000 rules from about 76 to 49 ns.
// - sparse node: entry = offset | SPARSE: [count, otherwise, b1..bcount, e1..ecount]: entry ei for
//   byte bi, `otherwise` for every other byte.
// Nodes are hash-consed, so identical subtrees (the same host under different parents) exist once.
import { maskWord, prefixByte, type ParsedPrefix } from './prefix.js';

export const CHAIN = 0x40000000;
export const SPARSE = 0x20000000;
/**
 * Nodes with at most this many entries that differ from the rest are stored as a list scanned
 * linearly: under 200 bytes instead of 1 KiB, so the hosts of a subnet stay in cache.
 */
const SPARSE_LIMIT = 24;
export const CHAIN_END = 8;
export const CHAIN_NEXT = 9;
export const CHAIN_OTHERWISE = 10;
const FANOUT = 256;

export interface TrieItem {
  prefix: ParsedPrefix;
  classId: number;
}

export interface ClassTrie {
  nodes: Int32Array;
  /** entry to start from: leaf, full or chain node */
  root: number;
  /** byte level at which the walk starts; addresses failing `check` are in no prefix (leaf 0) */
  level: number;
  /** value and mask for words 0..3 of the first `level` bytes every prefix shares */
  check: Int32Array;
  /** class ids of each leaf set, ascending; leaf 0 is the empty set */
  leafSets: number[][];
}

export function leafEntry(id: number): number {
  return -1 - id;
}

export function buildClassTrie(items: readonly TrieItem[]): ClassTrie {
  const b = new Builder();
  const check = new Int32Array(8);
  if (items.length === 0) return { nodes: new Int32Array(0), root: leafEntry(0), level: 0, check, leafSets: b.leafSets };
  const level = sharedLeadingBytes(items);
  const first = items[0].prefix;
  for (let w = 0; w < 4; w++) {
    const mask = maskWord(level * 8, w);
    check[w * 2] = first.words[w] & mask;
    check[w * 2 + 1] = mask;
  }
  const covered = level * 8;
  const whole = items.filter((it) => it.prefix.length <= covered).map((it) => it.classId);
  const inherited = b.union([], whole);
  const rest = items.filter((it) => it.prefix.length > covered);
  const built = b.node(rest, level, inherited, b.setId(inherited));
  const nodes: number[] = [];
  const root = copyReachable(b.entries, built, nodes, new Map());
  return { nodes: Int32Array.from(nodes), root, level, check, leafSets: b.leafSets };
}

class Builder {
  readonly entries: number[] = [];
  readonly leafSets: number[][] = [[]];
  private readonly setIds = new Map<string, number>([['', 0]]);
  private readonly interned = new Map<number, number[]>();
  private readonly lengthAt = new Map<number, number>();

  setId(set: number[]): number {
    const key = set.join(',');
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.leafSets.length;
      this.leafSets.push(set);
      this.setIds.set(key, id);
    }
    return id;
  }

  /**
   * Sorted union of a sorted set and some ids. Sorted and deduplicated in place, not through a
   * spread into a Set: the spread deoptimized the builder (--trace-deopt), which then recompiled on
   * every rule change.
   */
  union(set: number[], more: number[]): number[] {
    if (more.length === 0) return set;
    const all = set.concat(more).sort((a, b) => a - b);
    let n = 0;
    for (let i = 0; i < all.length; i++) if (n === 0 || all[i] !== all[n - 1]) all[n++] = all[i];
    all.length = n;
    return all;
  }

  /**
   * The subtree for `items` (all longer than `level` bytes) inside a region every address of
   * which is already covered by the classes `inherited` (its leaf id `inheritedId`).
   */
  node(items: readonly TrieItem[], level: number, inherited: number[], inheritedId: number): number {
    if (items.length === 0) return leafEntry(inheritedId);
    const covered = level * 8;
    const partial: (number[] | undefined)[] = new Array(FANOUT);
    const children: (TrieItem[] | undefined)[] = new Array(FANOUT);
    for (const it of items) {
      const b = prefixByte(it.prefix, level);
      const bits = it.prefix.length - covered;
      if (bits >= 8) {
        (children[b] ??= []).push(it);
      } else {
        const span = 1 << (8 - bits);
        const start = b & ~(span - 1) & 255;
        for (let i = start; i < start + span; i++) (partial[i] ??= []).push(it.classId);
      }
    }
    const entries = new Int32Array(FANOUT);
    for (let b = 0; b < FANOUT; b++) {
      const extra = partial[b];
      let set = inherited;
      let id = inheritedId;
      if (extra !== undefined) {
        set = this.union(inherited, extra);
        id = this.setId(set);
      }
      const child = children[b];
      if (child === undefined) {
        entries[b] = leafEntry(id);
        continue;
      }
      const next = covered + 8;
      const whole: number[] = [];
      const deeper: TrieItem[] = [];
      for (const it of child) {
        if (it.prefix.length <= next) whole.push(it.classId);
        else deeper.push(it);
      }
      if (whole.length > 0) {
        set = this.union(set, whole);
        id = this.setId(set);
      }
      entries[b] = this.node(deeper, level + 1, set, id);
    }
    return this.compress(entries, level);
  }

  /**
   * A leaf when every entry is the same leaf; a chain when all but one are; a sparse node when
   * few differ from the most common entry; else a full node.
   */
  private compress(entries: Int32Array, level: number): number {
    const counts = new Map<number, number>();
    let common = entries[0];
    let best = 0;
    for (let b = 0; b < FANOUT; b++) {
      const c = (counts.get(entries[b]) ?? 0) + 1;
      counts.set(entries[b], c);
      if (c > best) {
        best = c;
        common = entries[b];
      }
    }
    const odd = FANOUT - best;
    if (odd === 0 && common < 0) return common;
    if (odd === 1 && common < 0) {
      let b = 0;
      while (entries[b] === common) b++;
      return this.chain(level, b, entries[b], common);
    }
    if (odd === 0 || odd > SPARSE_LIMIT) return this.intern(entries, FANOUT);
    const node = [odd, common];
    const targets: number[] = [];
    for (let b = 0; b < FANOUT; b++) {
      if (entries[b] === common) continue;
      node.push(b);
      targets.push(entries[b]);
    }
    node.push(...targets);
    return this.intern(node, node.length) | SPARSE;
  }

  private chain(level: number, b: number, next: number, otherwise: number): number {
    const node = [0, 0, 0, 0, 0, 0, 0, 0, level + 1, next, otherwise];
    const w = level >> 2;
    const shift = 24 - 8 * (level & 3);
    node[w * 2] = b << shift;
    node[w * 2 + 1] = 255 << shift;
    if (next >= 0 && (next & CHAIN) !== 0) {
      const o = next ^ CHAIN;
      if (this.entries[o + CHAIN_OTHERWISE] === otherwise) {
        for (let i = 0; i < 8; i++) node[i] |= this.entries[o + i];
        node[CHAIN_END] = this.entries[o + CHAIN_END];
        node[CHAIN_NEXT] = this.entries[o + CHAIN_NEXT];
      }
    }
    return this.intern(node, node.length) | CHAIN;
  }

  private intern(node: ArrayLike<number>, length: number): number {
    let h = length | 0;
    for (let i = 0; i < length; i++) h = (Math.imul(h, 0x01000193) ^ node[i]) | 0;
    const bucket = this.interned.get(h);
    if (bucket !== undefined) {
      for (const offset of bucket) if (this.same(offset, node, length)) return offset;
    }
    const offset = this.entries.length;
    for (let i = 0; i < length; i++) this.entries.push(node[i]);
    this.lengthAt.set(offset, length);
    if (bucket === undefined) this.interned.set(h, [offset]);
    else bucket.push(offset);
    return offset;
  }

  private same(offset: number, node: ArrayLike<number>, length: number): boolean {
    if (this.lengthAt.get(offset) !== length) return false;
    for (let i = 0; i < length; i++) if (this.entries[offset + i] !== node[i]) return false;
    return true;
  }
}

/**
 * Copy the nodes reachable from `entry`, parents before children. Chains absorbed into longer
 * chains and shapes built but then dropped stay behind: about half of the IPv6 array at 10,000
 * rules, and the copy keeps the nodes one walk touches close together.
 */
function copyReachable(from: number[], entry: number, to: number[], moved: Map<number, number>): number {
  if (entry < 0) return entry;
  const known = moved.get(entry);
  if (known !== undefined) return known;
  const tag = entry >= CHAIN ? CHAIN : entry >= SPARSE ? SPARSE : 0;
  const o = entry ^ tag;
  const size = tag === CHAIN ? CHAIN_OTHERWISE + 1 : tag === SPARSE ? 2 + 2 * from[o] : FANOUT;
  const at = to.length;
  for (let i = 0; i < size; i++) to.push(from[o + i]);
  const result = at | tag;
  moved.set(entry, result);
  if (tag === CHAIN) {
    to[at + CHAIN_NEXT] = copyReachable(from, from[o + CHAIN_NEXT], to, moved);
  } else if (tag === SPARSE) {
    const count = from[o];
    to[at + 1] = copyReachable(from, from[o + 1], to, moved);
    for (let j = 0; j < count; j++) to[at + 2 + count + j] = copyReachable(from, from[o + 2 + count + j], to, moved);
  } else {
    for (let i = 0; i < FANOUT; i++) to[at + i] = copyReachable(from, from[o + i], to, moved);
  }
  return result;
}

/** Whole bytes every prefix shares and covers: the walk starts below them. */
function sharedLeadingBytes(items: readonly TrieItem[]): number {
  let minLength = 128;
  for (const it of items) if (it.prefix.length < minLength) minLength = it.prefix.length;
  const first = items[0].prefix;
  let level = 0;
  while ((level + 1) * 8 <= minLength) {
    const b = prefixByte(first, level);
    for (const it of items) if (prefixByte(it.prefix, level) !== b) return level;
    level++;
  }
  return level;
}

/**
 * The leaf (class-set id) an IPv4 address reaches in a built trie: the one walk, for the
 * classifier's lookups and the prefix-list tries (address-sets.ts) alike. A copy inlined in the
 * classifier measured no faster (bench/classifier-walk.mjs: within the noise of an identical copy).
 */
export function trieLeafV4(nodes: Int32Array, root: number, rootLevel: number, check: Int32Array, addr: number): number {
  if (((addr ^ check[0]) & check[1]) !== 0) return 0;
  let n = root;
  let level = rootLevel;
  while (n >= 0) {
    if (n < SPARSE) {
      n = nodes[n + ((addr >>> (24 - (level << 3))) & 255)];
      level++;
    } else if (n < CHAIN) {
      n = sparseEntry(nodes, n ^ SPARSE, (addr >>> (24 - (level << 3))) & 255);
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
  return -1 - n;
}

/** As trieLeafV4, for an IPv6 address as four words. */
export function trieLeafV6(nodes: Int32Array, root: number, rootLevel: number, check: Int32Array, w0: number, w1: number, w2: number, w3: number): number {
  if ((((w0 ^ check[0]) & check[1]) | ((w1 ^ check[2]) & check[3]) | ((w2 ^ check[4]) & check[5]) | ((w3 ^ check[6]) & check[7])) !== 0) {
    return 0;
  }
  let n = root;
  let level = rootLevel;
  while (n >= 0) {
    if (n < CHAIN) {
      const w = level < 8 ? (level < 4 ? w0 : w1) : level < 12 ? w2 : w3;
      const b = (w >>> (24 - ((level & 3) << 3))) & 255;
      n = n < SPARSE ? nodes[n + b] : sparseEntry(nodes, n ^ SPARSE, b);
      level++;
    } else {
      const o = n ^ CHAIN;
      if ((((w0 ^ nodes[o]) & nodes[o + 1]) | ((w1 ^ nodes[o + 2]) & nodes[o + 3]) | ((w2 ^ nodes[o + 4]) & nodes[o + 5]) | ((w3 ^ nodes[o + 6]) & nodes[o + 7])) !== 0) {
        n = nodes[o + CHAIN_OTHERWISE];
      } else {
        level = nodes[o + CHAIN_END];
        n = nodes[o + CHAIN_NEXT];
      }
    }
  }
  return -1 - n;
}

function sparseEntry(nodes: Int32Array, o: number, b: number): number {
  const count = nodes[o];
  for (let j = o + 2, end = o + 2 + count; j < end; j++) if (nodes[j] === b) return nodes[j + count];
  return nodes[o + 1];
}
