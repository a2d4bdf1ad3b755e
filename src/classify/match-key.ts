// Ports and ICMP type/code share one 16-bit key space, so one interval index serves both:
// TCP/UDP key = destination port; ICMP/ICMPv6 key = type << 8 | code (a rule for type T with
// code -1 covers T<<8 .. T<<8|255, type -1 covers everything). Other protocols have no key.
import type { ClassifierRule } from './classifier-rule.js';

export const KEY_MAX = 65535;

export const KeyKind = { NONE: 0, PORT: 1, ICMP: 2 } as const;

/** How a protocol number's packets are keyed; precomputed so the hot path does one load. */
export const KEY_KIND: Uint8Array = (() => {
  const k = new Uint8Array(256);
  k[6] = KeyKind.PORT;
  k[17] = KeyKind.PORT;
  k[1] = KeyKind.ICMP;
  k[58] = KeyKind.ICMP;
  return k;
})();

/** Inclusive key range a rule covers, or null when it covers none (an empty port range). */
export function ruleKeyRange(rule: ClassifierRule): [number, number] | null {
  const p = rule.protocol;
  if (p < 0) return [0, KEY_MAX];
  const kind = KEY_KIND[p & 255];
  if (kind === KeyKind.PORT) {
    if (rule.fromPort < 0) return [0, KEY_MAX];
    const lo = Math.max(0, rule.fromPort);
    const hi = Math.min(KEY_MAX, rule.toPort);
    return lo <= hi ? [lo, hi] : null;
  }
  if (kind === KeyKind.ICMP) {
    const type = rule.fromPort;
    const code = rule.toPort;
    if (type < 0) return [0, KEY_MAX];
    if (code < 0) return [type << 8, (type << 8) | 255];
    return [(type << 8) | code, (type << 8) | code];
  }
  return [0, KEY_MAX];
}
