// The distinct sets of rule classes that cover some port interval ("rows"), found by a sweep over
// each slot's intervals that adds and removes classes at the cut points. Sets are compared as bit
// sets and found again through a running XOR of per-class random tokens (Zobrist hashing), so a
// slot with thousands of overlapping ranges costs O(classes/32) per interval rather than
// materialising every interval's class list (measured on 10,000 random wide ranges: a 10 s
// build, mostly garbage collection, before; 2 s after).

export class RowSet {
  readonly words: number;
  /** the classes of the sweep's current interval */
  readonly active: Int32Array;
  private hash = 0;
  private readonly tokens: Int32Array;
  private bits: Int32Array;
  private rowCount = 0;
  private readonly byHash = new Map<number, number[]>();

  constructor(classCount: number) {
    this.words = (classCount + 31) >> 5;
    this.active = new Int32Array(this.words);
    this.tokens = new Int32Array(classCount);
    let x = 0x9e3779b9 | 0;
    for (let i = 0; i < classCount; i++) {
      // xorshift32: a fixed sequence, so builds are reproducible
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.tokens[i] = x;
    }
    this.bits = new Int32Array(Math.max(1, this.words) * 16);
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Flip a class in or out of the current set. */
  toggle(classId: number): void {
    this.active[classId >> 5] ^= 1 << (classId & 31);
    this.hash ^= this.tokens[classId];
  }

  /** The row of the current set, added if new. */
  currentRow(): number {
    const bucket = this.byHash.get(this.hash);
    if (bucket !== undefined) {
      for (const row of bucket) if (this.sameAsActive(row)) return row;
    }
    const row = this.rowCount++;
    if (this.rowCount * this.words > this.bits.length) {
      const grown = new Int32Array(this.bits.length * 2);
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits.set(this.active, row * this.words);
    if (bucket === undefined) this.byHash.set(this.hash, [row]);
    else bucket.push(row);
    return row;
  }

  /** rows × words: each row's classes as a bit set. */
  rowBits(): Int32Array {
    return this.bits.slice(0, this.rowCount * this.words);
  }

  private sameAsActive(row: number): boolean {
    const base = row * this.words;
    for (let w = 0; w < this.words; w++) if (this.bits[base + w] !== this.active[w]) return false;
    return true;
  }
}
