// The maps of a draft state (records.ts), copied on write: a draft shares its source's entries and
// keeps only what it changes, so drafting costs what the last few calls changed, not the map's size.
// Every mutating call and every DryRun drafts the state; copying the groups map whole cost a
// 2,500-entry copy (and its garbage) per call at 2,500 groups (issue 15 item 3). A DraftMap behaves
// as `new Map(source)` followed by the same sets and deletes, iteration order included (a key set
// again keeps its place; one deleted and set again goes last).
// The shared base is never changed: a draft of a draft shares the same base with a copy of the
// changes, and once the changes outgrow a small share of the base they are folded into a new one.

/** Marks a key of the base that the draft deleted. */
const GONE: unique symbol = Symbol('gone');

/** Below this size a draft is a plain copy (cheaper than the bookkeeping). */
const PLAIN_BELOW = 64;

export class DraftMap<K, V> implements Map<K, V> {
  private constructor(
    /** shared, never changed */
    private base: ReadonlyMap<K, V>,
    /** keys of the base set again (in place) or deleted */
    private changed: Map<K, V | typeof GONE>,
    /** keys the base does not hold (or deleted from it and set again), in insertion order */
    private added: Map<K, V>,
    /** how many keys of the base are deleted */
    private gone: number,
  ) {}

  /** A map with `source`'s entries that can be changed without changing `source`. */
  static of<K, V>(source: ReadonlyMap<K, V>): Map<K, V> {
    if (source.size < PLAIN_BELOW) return new Map(source);
    if (!(source instanceof DraftMap)) return new DraftMap(source, new Map(), new Map(), 0);
    const d = source as DraftMap<K, V>;
    if (d.changed.size + d.added.size > Math.max(32, 2 * Math.sqrt(d.base.size))) return new DraftMap(new Map(d), new Map(), new Map(), 0);
    return new DraftMap(d.base, new Map(d.changed), new Map(d.added), d.gone);
  }

  get size(): number {
    return this.base.size - this.gone + this.added.size;
  }

  get(key: K): V | undefined {
    // `added` first: a base key deleted and set again is there (and GONE in `changed`)
    if (this.added.has(key)) return this.added.get(key);
    if (this.changed.has(key)) {
      const c = this.changed.get(key);
      return c === GONE ? undefined : c;
    }
    return this.base.get(key);
  }

  has(key: K): boolean {
    if (this.added.has(key)) return true;
    if (this.changed.has(key)) return this.changed.get(key) !== GONE;
    return this.base.has(key);
  }

  set(key: K, value: V): this {
    if (this.base.has(key) && this.changed.get(key) !== GONE) this.changed.set(key, value);
    else this.added.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.added.delete(key)) return true;
    if (!this.base.has(key) || this.changed.get(key) === GONE) return false;
    this.changed.set(key, GONE);
    this.gone++;
    return true;
  }

  clear(): void {
    this.base = new Map();
    this.changed = new Map();
    this.added = new Map();
    this.gone = 0;
  }

  *entries(): MapIterator<[K, V]> {
    const { base, changed, added } = this;
    for (const [k, v] of base) {
      if (!changed.has(k)) yield [k, v];
      else {
        const c = changed.get(k)!;
        if (c !== GONE) yield [k, c];
      }
    }
    yield* added;
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  get [Symbol.toStringTag](): string {
    return 'Map';
  }
}
