// One address family's compiled rules, as flat typed arrays. A lookup goes
//   protocol → slot → (port or ICMP type/code) → elementary interval → row,
//   peer address → trie → column,   then table[row × columns + column].
// Elementary intervals are the pieces the rules' key ranges cut 0..65535 into; every key inside
// one is allowed by exactly the same classes (rules of one key range), its "row". The address
// walks one trie to a "column", the set of classes whose prefixes contain it; a precomputed
// rows × columns table says whether they meet. Protocol -1 rules are merged into every protocol's
// slot (seed 001: rules are allow-only and "the most permissive rule" applies, so a packet is
// allowed when any rule matches). A row with a class open to /0 needs no address: MATCH_WORLD.
// Rules whose peer is an address set put no prefix in the trie: their set numbers go into the
// rows' rowSets bit sets, which the classifier tests against the peer's sets (address-sets.ts)
// when the table says no.
import { MATCH, type ClassifierRule } from './classifier-rule.js';
import { KEY_KIND, KEY_MAX, KeyKind, ruleKeyRange } from './match-key.js';
import { maskWord, parsePrefix, type ParsedPrefix } from './prefix.js';
import { buildClassTrie, type TrieItem } from './prefix-trie.js';
import { RowSet } from './row-set.js';

/** Interval entries: below ENTRY_ROW they are match bits (0, MATCH, MATCH|MATCH_WORLD). */
export const ENTRY_WORLD = 3;
export const ENTRY_ROW = 4;

export const SlotMode = { SINGLE: 0, INDEXED: 1 } as const;
/**
 * Keyed slots find a key's interval through a coarse index on the key's high byte (257 entries)
 * and a binary search among the few intervals that start inside that 256-key block. A direct
 * 65,536-entry index was tried first: at 10,000 rules its 128 KiB per protocol fell out of cache
 * and cost more than the trie walk; the coarse index stays in L1.
 */
export const COARSE = 257;
/** Largest row × leaf-set table kept; past it lookups intersect the sets instead (slower, rare). */
export const TABLE_LIMIT = 1 << 22;

export interface FamilyTable {
  protoSlot: Uint16Array; // 256
  slotMode: Uint8Array;
  slotIvBase: Int32Array; // first interval entry of the slot
  slotCoarse: Int32Array; // INDEXED: offset into `coarse`
  slotCount: Int32Array; // intervals in the slot
  coarse: Int32Array; // COARSE per INDEXED slot: the interval holding key (block << 8); last: count - 1
  bounds: Int32Array; // per interval (beside ivEntry): its first key
  ivEntry: Int32Array; // per interval: 0, ENTRY_WORLD, or ENTRY_ROW + row
  // the address side: one trie whose leaves are class-set ids ("columns")
  nodes: Int32Array;
  root: number;
  rootLevel: number;
  rootCheck: Int32Array; // value, mask for words 0..3
  columns: number;
  /** rows × columns of MATCH or 0, when small enough; else empty and the sets below are used */
  table: Uint8Array;
  rowWords: number; // words per row bit set
  rowBits: Int32Array; // rows × rowWords: the classes of each row
  leafStart: Int32Array; // columns + 1
  leafClasses: Int32Array;
  /** words per row in rowSets: 0 when no rule's peer is an address set (then never consulted) */
  setWords: number;
  /** rows × setWords: the address-set numbers (group references) of each row's classes */
  rowSets: Int32Array;
  /** rows: 1 when the row's rowSets has a bit set (only then are the address sets probed) */
  rowHasSets: Uint8Array;
  allWorld: Uint8Array; // 256: every key of the protocol allowed from /0
  // explain (slow path): the normalized rules
  ruleProto: Int32Array;
  ruleLo: Int32Array;
  ruleHi: Int32Array;
  ruleIndex: Int32Array;
  rulePrefix: Int32Array; // 8 per rule: value, mask for words 0..3
  ruleSet: Int32Array; // per rule: its address set, or -1 (then rulePrefix applies)
}

interface NormalRule {
  protocol: number;
  lo: number;
  hi: number;
  prefix: ParsedPrefix;
  /** address set number, or -1: the peer is `prefix` */
  set: number;
  ruleIndex: number;
}

/** The prefix slot of a rule whose peer is an address set: never put in the trie. */
const NO_PREFIX: ParsedPrefix = { family: 4, words: [0, 0, 0, 0], length: 0 };

/** Rules of one slot sharing one key range; `world` when one of them is open to /0. */
interface KeyClass {
  id: number;
  lo: number;
  hi: number;
  world: boolean;
  /** address sets of the class's rules whose peer is one */
  sets: number[] | null;
}

export function compileFamily(rules: readonly ClassifierRule[], family: 4 | 6, maxTableCells = TABLE_LIMIT): FamilyTable {
  const normal: NormalRule[] = [];
  let maxSet = -1;
  for (const rule of rules) {
    const set = rule.addressSet ?? -1;
    if (set >= 0) {
      // an address set holds addresses of both families: its rule belongs to both tables
      const range = ruleKeyRange(rule);
      if (range === null) continue;
      if (set > maxSet) maxSet = set;
      normal.push({ protocol: rule.protocol, lo: range[0], hi: range[1], prefix: NO_PREFIX, set, ruleIndex: rule.ruleIndex });
      continue;
    }
    if (rule.family !== family) continue;
    const range = ruleKeyRange(rule);
    if (range === null) continue;
    const prefix = parsePrefix(rule.prefix);
    if (prefix.family !== family) continue;
    normal.push({ protocol: rule.protocol, lo: range[0], hi: range[1], prefix, set: -1, ruleIndex: rule.ruleIndex });
  }

  const protoSlot = new Uint16Array(256);
  const slotProtocols: number[] = [-1];
  for (const r of normal) {
    if (r.protocol >= 0 && protoSlot[r.protocol] === 0) {
      protoSlot[r.protocol] = slotProtocols.length;
      slotProtocols.push(r.protocol);
    }
  }
  const slots = slotProtocols.length;
  const slotMode = new Uint8Array(slots);
  const slotIvBase = new Int32Array(slots);
  const slotCoarse = new Int32Array(slots);
  const slotCount = new Int32Array(slots);
  const bounds: number[] = [];
  const coarse: number[] = [];
  const ivEntry: number[] = [];
  const items: TrieItem[] = [];
  const slotClasses: KeyClass[][] = [];
  let classCount = 0;
  for (let slot = 0; slot < slots; slot++) {
    const protocol = slotProtocols[slot];
    const keyed = protocol >= 0 && KEY_KIND[protocol] !== KeyKind.NONE;
    // numeric keys: a template-string key per rule and slot was a third of a 200-rule compile
    const classes = new Map<number, KeyClass>();
    for (const r of normal) {
      if (r.protocol !== -1 && r.protocol !== protocol) continue;
      const lo = keyed ? r.lo : 0;
      const hi = keyed ? r.hi : KEY_MAX;
      const name = lo * 65536 + hi;
      let c = classes.get(name);
      if (!c) classes.set(name, (c = { id: classCount++, lo, hi, world: false, sets: null }));
      if (r.set >= 0) (c.sets ??= []).push(r.set);
      else if (r.prefix.length === 0) c.world = true;
      else items.push({ prefix: r.prefix, classId: c.id });
    }
    slotClasses.push([...classes.values()]);
  }

  const rowSet = new RowSet(classCount);
  for (let slot = 0; slot < slots; slot++) {
    const classes = slotClasses[slot];
    const starts = intervalStarts(classes);
    const count = starts.length;
    // classes entering at each interval, and leaving (their range ended just before it)
    const changes: (KeyClass[] | undefined)[] = new Array(count + 1);
    for (const c of classes) {
      (changes[upperIndex(starts, c.lo)] ??= []).push(c);
      const end = c.hi === KEY_MAX ? count : upperIndex(starts, c.hi + 1);
      (changes[end] ??= []).push(c);
    }
    slotIvBase[slot] = ivEntry.length;
    slotCount[slot] = count;
    let active = 0;
    let world = 0;
    for (let i = 0; i < count; i++) {
      for (const c of changes[i] ?? []) {
        const entering = c.lo === starts[i];
        rowSet.toggle(c.id);
        active += entering ? 1 : -1;
        if (c.world) world += entering ? 1 : -1;
      }
      if (active === 0) ivEntry.push(0);
      else if (world > 0) ivEntry.push(ENTRY_WORLD);
      else ivEntry.push(ENTRY_ROW + rowSet.currentRow());
    }
    for (const c of changes[count] ?? []) rowSet.toggle(c.id);
    bounds.push(...starts);
    if (count === 1) {
      slotMode[slot] = SlotMode.SINGLE;
    } else {
      slotMode[slot] = SlotMode.INDEXED;
      slotCoarse[slot] = coarse.length;
      let i = 0;
      for (let block = 0; block < COARSE - 1; block++) {
        while (i + 1 < count && starts[i + 1] <= block << 8) i++;
        coarse.push(i);
      }
      coarse.push(count - 1);
    }
  }

  const trie = buildClassTrie(items);
  const columns = trie.leafSets.length;
  const rows = rowSet.rows;
  const rowWords = rowSet.words;
  const rowBits = rowSet.rowBits();
  const leafStart = new Int32Array(columns + 1);
  trie.leafSets.forEach((set, col) => (leafStart[col + 1] = leafStart[col] + set.length));
  const leafClasses = Int32Array.from(trie.leafSets.flat());
  let table = new Uint8Array(0);
  if (rows * columns <= maxTableCells) {
    table = new Uint8Array(rows * columns);
    for (let r = 0; r < rows; r++) {
      for (let col = 0; col < columns; col++) {
        for (let i = leafStart[col]; i < leafStart[col + 1]; i++) {
          const id = leafClasses[i];
          if ((rowBits[r * rowWords + (id >> 5)] & (1 << (id & 31))) !== 0) {
            table[r * columns + col] = MATCH;
            break;
          }
        }
      }
    }
  }

  // each row's address sets: the union of its classes' (a row is a set of classes, see RowSet)
  const setWords = maxSet < 0 ? 0 : (maxSet >> 5) + 1;
  const rowSets = new Int32Array(rows * setWords);
  const rowHasSets = new Uint8Array(rows);
  if (setWords > 0) {
    for (const classes of slotClasses) {
      for (const c of classes) {
        if (c.sets === null) continue;
        for (let r = 0; r < rows; r++) {
          if ((rowBits[r * rowWords + (c.id >> 5)] & (1 << (c.id & 31))) === 0) continue;
          rowHasSets[r] = 1;
          for (const n of c.sets) rowSets[r * setWords + (n >> 5)] |= 1 << (n & 31);
        }
      }
    }
  }

  const allWorld = new Uint8Array(256);
  for (let p = 0; p < 256; p++) {
    const slot = protoSlot[p];
    let all = 1;
    for (let i = 0; i < slotCount[slot]; i++) if (ivEntry[slotIvBase[slot] + i] !== ENTRY_WORLD) all = 0;
    allWorld[p] = all;
  }

  const rulePrefix = new Int32Array(normal.length * 8);
  normal.forEach((r, i) => {
    for (let w = 0; w < 4; w++) {
      const mask = maskWord(r.prefix.length, w);
      rulePrefix[i * 8 + w * 2] = r.prefix.words[w] & mask;
      rulePrefix[i * 8 + w * 2 + 1] = mask;
    }
  });

  return {
    protoSlot,
    slotMode,
    slotIvBase,
    slotCoarse,
    slotCount,
    coarse: Int32Array.from(coarse),
    bounds: Int32Array.from(bounds),
    ivEntry: Int32Array.from(ivEntry),
    nodes: trie.nodes,
    root: trie.root,
    rootLevel: trie.level,
    rootCheck: trie.check,
    columns,
    table,
    rowWords,
    rowBits,
    leafStart,
    leafClasses,
    setWords,
    rowSets,
    rowHasSets,
    allWorld,
    ruleProto: Int32Array.from(normal, (r) => r.protocol),
    ruleLo: Int32Array.from(normal, (r) => r.lo),
    ruleHi: Int32Array.from(normal, (r) => r.hi),
    ruleIndex: Int32Array.from(normal, (r) => r.ruleIndex),
    rulePrefix,
    ruleSet: Int32Array.from(normal, (r) => r.set),
  };
}

/** Sorted first keys of the elementary intervals the classes' ranges cut 0..65535 into. */
function intervalStarts(classes: Iterable<KeyClass>): number[] {
  const cuts = new Set<number>([0]);
  for (const c of classes) {
    cuts.add(c.lo);
    if (c.hi < KEY_MAX) cuts.add(c.hi + 1);
  }
  return [...cuts].sort((a, b) => a - b);
}

/** Index of the interval whose start is `key` (starts are exact cut points). */
function upperIndex(starts: readonly number[], key: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= key) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
