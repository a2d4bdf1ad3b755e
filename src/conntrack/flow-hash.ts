// MurmurHash3's 32-bit mixing steps, applied word by word to a flow key. Plain functions of
// numbers (the JIT inlines them), so hashing a key allocates nothing. The table seeds it with a
// random value so that a sender who can choose addresses and ports cannot aim for one chain.

export function hashWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function hashFinish(h: number, lengthWords: number): number {
  h ^= lengthWords << 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // int32, not uint32, so the result is never a heap number: see i32be in packet/byte-order.ts.
  return h | 0;
}
