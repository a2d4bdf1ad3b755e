// What each ICMP/ICMPv6 message is to connection tracking. Seed 001: "ICMP traffic is always
// tracked, regardless of rules": no rule makes an ICMP flow untracked (the untracked-flow rule
// covers TCP and UDP only, see dataplane/untracked-flows.ts), and how a message is tracked
// depends on its kind:
// - a query request (echo, timestamp, information, address mask) opens a flow keyed by its
//   identifier, so that its reply is "not tracked as a new request, but rather as an established
//   connection" (seed 001, of ping);
// - a query reply opens nothing: it passes as established only when it answers a request;
// - an error (unreachable, time exceeded, …) opens nothing: it passes as related when it quotes a
//   tracked flow, and is judged by the rules otherwise;
// - anything else (router and neighbour discovery, MLD, …) has no identifier pairing a reply with
//   a request: it opens nothing and the rules judge each message.
// The conntrack table, the dataplane and `sgfw explain` all read the kinds from here.

/** The kinds of an ICMP/ICMPv6 message, as `icmpKind` returns them. */
export const IcmpKind = { REQUEST: 0, REPLY: 1, ERROR: 2, UNPAIRED: 3 } as const;
export type IcmpKind = (typeof IcmpKind)[keyof typeof IcmpKind];

/** RFC 792: destination unreachable, source quench, redirect, time exceeded, parameter problem. */
export function isIcmpError(ipVersion: number, type: number): boolean {
  if (ipVersion === 6) return type >= 1 && type <= 4; // RFC 4443 §3
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * For a query message, the type of its *request*: echo (8/0, v6 128/129), timestamp (13/14),
 * information (15/16), address mask (17/18). -1 for everything else (router and neighbour
 * discovery, MLD, …): those have no identifier pairing a reply with a request, so they are
 * not tracked and the rules judge each of them.
 */
export function icmpRequestType(ipVersion: number, type: number): number {
  if (ipVersion === 6) return type === 128 || type === 129 ? 128 : -1;
  if (type === 8 || type === 0) return 8;
  if (type >= 13 && type <= 18) return type & 1 ? type : type - 1;
  return -1;
}

/**
 * What a message of `type` is to tracking: request, reply, error or unpaired (see the header).
 * Seed 001: "ICMP traffic is always tracked, regardless of rules"; of a ping, "Response traffic
 * from the instance for the `ping` command is not tracked as a new request, but rather as an
 * established connection".
 */
export function icmpKind(ipVersion: number, type: number): IcmpKind {
  if (isIcmpError(ipVersion, type)) return IcmpKind.ERROR;
  const request = icmpRequestType(ipVersion, type);
  if (request < 0) return IcmpKind.UNPAIRED;
  return type === request ? IcmpKind.REQUEST : IcmpKind.REPLY;
}

/** The echo request (RFC 792 type 8, RFC 4443 type 128): the usual new ICMP "connection", a ping. */
export function echoRequestType(ipVersion: number): number {
  return ipVersion === 6 ? 128 : 8;
}

const ICMPV6_ROUTER_SOLICITATION = 133;
const ICMPV6_REDIRECT = 137;

/**
 * ICMPv6 router and neighbour discovery (RFC 4861: router solicitation 133 to redirect 137), an
 * UNPAIRED kind: the dataplane passes it below the groups when it never crossed a router.
 */
export function isNeighbourDiscoveryType(type: number): boolean {
  return type >= ICMPV6_ROUTER_SOLICITATION && type <= ICMPV6_REDIRECT;
}

/** ICMP for the address family: protocol 1 over IPv4, 58 over IPv6; anything else is "other". */
export function isIcmpProtocol(ipVersion: number, protocol: number): boolean {
  return ipVersion === 6 ? protocol === 58 : protocol === 1;
}
