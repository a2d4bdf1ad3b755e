import ipaddr from 'ipaddr.js';

/** An address as the decoder stores it: IPv4 in word 0, IPv6 as four big-endian words. */
export function addressToWords(address: string): { family: 4 | 6; words: Uint32Array } {
  const parsed = ipaddr.parse(address);
  const words = new Uint32Array(4);
  if (parsed.kind() === 'ipv4') {
    const b = (parsed as ipaddr.IPv4).octets;
    words[0] = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    return { family: 4, words };
  }
  const p = (parsed as ipaddr.IPv6).parts;
  for (let i = 0; i < 4; i++) words[i] = ((p[i * 2] << 16) | p[i * 2 + 1]) >>> 0;
  return { family: 6, words };
}

/**
 * addressToWords through a cache of results by text, shared, so callers never write to them. A
 * change rebuilds the address tables from every interface's addresses, which mostly stay the
 * same: parsing them again was 40% of a membership change (issue 6, change latency). Dropped
 * whole past WORDS_LIMIT entries.
 */
const parsedWords = new Map<string, Readonly<{ family: 4 | 6; words: Uint32Array }>>();
const WORDS_LIMIT = 1 << 16;

export function addressToWordsCached(address: string): Readonly<{ family: 4 | 6; words: Uint32Array }> {
  let p = parsedWords.get(address);
  if (p === undefined) {
    if (parsedWords.size >= WORDS_LIMIT) parsedWords.clear();
    p = addressToWords(address);
    parsedWords.set(address, p);
  }
  return p;
}

/** The text form of decoded address words, for logs and verdict files (allocates). */
export function wordsToAddress(family: number, w: ArrayLike<number>): string {
  if (family === 4) {
    const a = w[0] >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const parts: number[] = [];
  for (let i = 0; i < 4; i++) parts.push((w[i] >>> 16) & 0xffff, w[i] & 0xffff);
  return ipaddr.fromByteArray(parts.flatMap((x) => [x >> 8, x & 255])).toString();
}
