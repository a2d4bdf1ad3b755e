// The classifier's input: one allow rule whose peer is a single prefix or a numbered address set.
// The dataplane turns a group reference (and a prefix list without a /0 entry) into the set's
// number, resolved at lookup time through the AddressSets given to compileClassifier; the
// classifier knows nothing of groups.

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
  /**
   * When set (≥ 0), the peer is this set of the classifier's AddressSets (a group's members,
   * either family) instead of `prefix`, and `family`/`prefix` are ignored: membership is read at
   * lookup time, so it can change without a recompile.
   */
  addressSet?: number;
}

/** Bits returned by `matchV4` / `matchV6`. */
export const MATCH = 1;
/** Set with MATCH when a rule open to the world (0.0.0.0/0 or ::/0) allows the packet. */
export const MATCH_WORLD = 2;
