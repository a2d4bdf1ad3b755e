// Maps a managed address (IPv4 or IPv6) to the index of the interface that owns it.
// Open addressing over typed arrays: a lookup reads numbers only, so the per-packet path
// allocates nothing (a JS Map keyed by strings would build a string per packet).

import { addressHashV4, addressHashV6 } from '../classify/address-hash.js';

const EMPTY = -1;

export class AddressTable {
  private mask: number;
  private words: Int32Array; // 4 words per slot
  private family: Int8Array; // 0 = empty, 4 or 6
  private values: Int32Array;
  private count = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap <<= 1;
    this.mask = cap - 1;
    this.words = new Int32Array(cap * 4);
    this.family = new Int8Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
  }

  get size(): number {
    return this.count;
  }

  /** Adds or replaces; returns the previous value or -1. */
  set(family: 4 | 6, w: ArrayLike<number>, value: number): number {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    let i = hash(family, w) & this.mask;
    for (;;) {
      const f = this.family[i];
      if (f === 0) {
        this.family[i] = family;
        this.words.set([w[0] | 0, w[1] | 0, w[2] | 0, w[3] | 0], i * 4);
        this.values[i] = value;
        this.count++;
        return EMPTY;
      }
      if (f === family && this.equals(i, w)) {
        const prev = this.values[i];
        this.values[i] = value;
        return prev;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** The interface index owning this address, or -1. IPv4 uses w[0] only (others must be 0). */
  get(family: number, w: Uint32Array): number {
    let i = hash(family, w) & this.mask;
    if (family === 4) {
      const w0 = w[0] | 0;
      for (;;) {
        const f = this.family[i];
        if (f === 0) return EMPTY;
        if (f === 4 && this.words[i * 4] === w0) return this.values[i];
        i = (i + 1) & this.mask;
      }
    }
    for (;;) {
      const f = this.family[i];
      if (f === 0) return EMPTY;
      if (f === family && this.equals(i, w)) return this.values[i];
      i = (i + 1) & this.mask;
    }
  }

  private equals(i: number, w: ArrayLike<number>): boolean {
    const o = i * 4;
    const ws = this.words;
    return ws[o] === (w[0] | 0) && ws[o + 1] === (w[1] | 0) && ws[o + 2] === (w[2] | 0) && ws[o + 3] === (w[3] | 0);
  }

  private grow(): void {
    const oldFamily = this.family;
    const oldWords = this.words;
    const oldValues = this.values;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.words = new Int32Array(cap * 4);
    this.family = new Int8Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.count = 0;
    for (let i = 0; i < oldFamily.length; i++) {
      const f = oldFamily[i];
      if (f !== 0) this.set(f as 4 | 6, oldWords.subarray(i * 4, i * 4 + 4), oldValues[i]);
    }
  }
}

/** An address's home slot before the mask: IPv4 hashes word 0 only (the others are 0 by contract). */
function hash(family: number, w: ArrayLike<number>): number {
  return family === 4 ? addressHashV4(w[0] | 0) : addressHashV6(w[0] | 0, w[1] | 0, w[2] | 0, w[3] | 0);
}
