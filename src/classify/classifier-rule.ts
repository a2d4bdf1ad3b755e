// The classifier's input: one allow rule with its peer already resolved to a single prefix. The
// dataplane expands group references (members' private addresses as /32 or /128) and prefix lists
// (their entries) before compiling, so the classifier knows nothing of groups.

export interface ClassifierRule {
  /** index into the caller's rule table, for explain; several entries may share one (an expanded group) */
  ruleIndex: number;
  /** -1 = all protocols, else 0..255 */
  protocol: number;
  /**
   * TCP(6)/UDP(17): destination port range, inclusive (-1 = all ports).
   * ICMP(1)/ICMPv6(58): fromPort = type, toPort = code, -1 = any.
   * Other protocols and -1: both -1 (ignored).
   */
  fromPort: number;
  toPort: number;
  family: 4 | 6;
  /** e.g. '10.0.0.0/8', '2001:db8::/32' */
  prefix: string;
}

/** Bits returned by `matchV4` / `matchV6`. */
export const MATCH = 1;
/** Set with MATCH when a rule open to the world (0.0.0.0/0 or ::/0) allows the packet. */
export const MATCH_WORLD = 2;
