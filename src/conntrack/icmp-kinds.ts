// Which ICMP/ICMPv6 messages are errors (never tracked, RELATED when they quote a tracked flow)
// and which are queries with an identifier (tracked request → reply, like ping).

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

/** Is this query message the request (not the reply)? Only meaningful when icmpRequestType ≥ 0. */
export function isIcmpRequest(ipVersion: number, type: number): boolean {
  return type === icmpRequestType(ipVersion, type);
}

/** ICMP for the address family: protocol 1 over IPv4, 58 over IPv6; anything else is "other". */
export function isIcmpProtocol(ipVersion: number, protocol: number): boolean {
  return ipVersion === 6 ? protocol === 58 : protocol === 1;
}
