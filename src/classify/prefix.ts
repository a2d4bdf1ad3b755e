// Prefixes as four big-endian 32-bit words (IPv4 in word 0), the form the decoder gives addresses
// in, so containment is a few masked compares. Host bits are cleared, matching the network the
// prefix names.
import ipaddr from 'ipaddr.js';

export interface ParsedPrefix {
  family: 4 | 6;
  /** network, host bits cleared; unsigned 32-bit words */
  words: [number, number, number, number];
  length: number;
}

export function maskWord(length: number, wordIndex: number): number {
  const bits = length - wordIndex * 32;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Parsed prefixes by their text. A change recompiles rule sets that mostly hold the prefixes of
 * the last compile (the same members, the same CIDRs): parsing was 60% of a rebuild after a
 * membership change (issue 6, change latency). Results are shared, so callers never write to
 * them; the cache is dropped whole when it grows past PARSED_LIMIT.
 */
const parsed = new Map<string, Readonly<ParsedPrefix>>();
const PARSED_LIMIT = 1 << 17;

export function parsePrefix(text: string): Readonly<ParsedPrefix> {
  let p = parsed.get(text);
  if (p === undefined) {
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    p = parseUncached(text);
    parsed.set(text, p);
  }
  return p;
}

function parseUncached(text: string): ParsedPrefix {
  // the family's own parser: ipaddr.parseCIDR tries IPv6 first, a third of a 10,000-rule build
  const [addr, length] = text.includes(':') ? ipaddr.IPv6.parseCIDR(text) : ipaddr.IPv4.parseCIDR(text);
  const bytes = addr.toByteArray();
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < bytes.length; i++) {
    const w = i >> 2;
    words[w] = (words[w] | (bytes[i] << (24 - 8 * (i & 3)))) >>> 0;
  }
  for (let i = 0; i < 4; i++) words[i] = (words[i] & maskWord(length, i)) >>> 0;
  return { family: addr.kind() === 'ipv4' ? 4 : 6, words, length };
}

/** Byte `level` (0 = most significant) of a prefix's network. */
export function prefixByte(p: ParsedPrefix, level: number): number {
  return (p.words[level >> 2] >>> (24 - 8 * (level & 3))) & 255;
}
