// Verdict reasons. A reason decides the verdict, so the per-packet path returns one small
// number and counters are indexed by it.

export const Reason = {
  // allowed
  UNMANAGED: 0, // touches no managed interface: not ours to judge
  NOT_IP: 1, // ARP and other non-IP frames
  TRACKED: 2, // belongs to a tracked flow (either direction)
  RELATED: 3, // an ICMP error quoting a tracked flow
  RULE: 4, // allowed by rules; the flow is now tracked
  RULE_UNTRACKED: 5, // allowed by rules; an untracked flow (seed 001), judged packet by packet
  FRAGMENT: 6, // a non-first fragment whose first fragment was allowed
  NEIGHBOUR_DISCOVERY: 7, // IPv6 router/neighbour discovery on the link: below the groups, like ARP
  // dropped
  INGRESS_NO_RULE: 8,
  EGRESS_NO_RULE: 9,
  MALFORMED: 10,
  FRAGMENT_UNKNOWN: 11, // a non-first fragment with no known (allowed) first fragment
  UNSUPPORTED_LINK: 12,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export const REASON_NAMES: readonly string[] = [
  'unmanaged',
  'not-ip',
  'tracked',
  'related',
  'rule',
  'rule-untracked',
  'fragment',
  'neighbour-discovery',
  'ingress-no-rule',
  'egress-no-rule',
  'malformed',
  'fragment-unknown',
  'unsupported-link',
];

export const REASON_COUNT = REASON_NAMES.length;

/** Reasons below this value allow the packet. */
export const FIRST_DROP_REASON = Reason.INGRESS_NO_RULE;

export function isAllowed(reason: number): boolean {
  return reason < FIRST_DROP_REASON;
}
