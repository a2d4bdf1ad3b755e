// CIDR blocks as ranges of addresses, for what subnets need: whether a block lies inside another or
// overlaps it, whether an address is in a block, and the lowest free address of a subnet. EC2 keeps
// five addresses of each subnet: "The first four IP addresses and the last IP address in each subnet
// CIDR block are not available for your use" (VPC user guide, Subnet CIDR blocks), for IPv4 and IPv6
// blocks alike. Addresses are BigInts here (IPv4 and IPv6 the same way); none of this is on the
// packet path.
import ipaddr from 'ipaddr.js';

export interface CidrRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly length: number;
}

function toBig(address: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let n = 0n;
  for (const b of address.toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

/** The range of a canonical CIDR text (`10.0.1.0/24`, `2001:db8:0:1::/64`). */
export function cidrRange(text: string): CidrRange {
  const [address, lengthText] = text.split('/') as [string, string];
  const parsed = ipaddr.parse(address);
  const family = parsed.kind() === 'ipv4' ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  const length = Number(lengthText);
  const first = toBig(parsed);
  return { family, first, last: first + (1n << BigInt(bits - length)) - 1n, length };
}

export function addressValue(text: string): bigint {
  return toBig(ipaddr.parse(text));
}

/** The canonical text of address `n` of `family`. */
export function addressText(n: bigint, family: 4 | 6): string {
  const bytes: number[] = [];
  for (let i = family === 4 ? 4 : 16; i > 0; i--) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export function rangeContains(outer: CidrRange, inner: CidrRange): boolean {
  return outer.family === inner.family && inner.first >= outer.first && inner.last <= outer.last;
}

export function rangesOverlap(a: CidrRange, b: CidrRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function rangeHolds(range: CidrRange, address: string): boolean {
  const family = address.includes(':') ? 6 : 4;
  if (family !== range.family) return false;
  const n = addressValue(address);
  return n >= range.first && n <= range.last;
}

/** One of the five addresses EC2 keeps in every subnet (the first four and the last). */
export function isReservedInSubnet(range: CidrRange, address: string): boolean {
  const n = addressValue(address);
  return n - range.first < 4n || n === range.last;
}

/**
 * The lowest addresses of `range` that are neither reserved nor in `taken`, `count` of them, or
 * fewer when the subnet has no more. Walks the subnet from its fifth address, so it costs the number
 * of taken addresses below the answer, not the size of the subnet.
 */
export function lowestFree(range: CidrRange, taken: ReadonlySet<string>, count: number): string[] {
  const out: string[] = [];
  for (let n = range.first + 4n; n < range.last && out.length < count; n++) {
    const text = addressText(n, range.family);
    if (!taken.has(text)) out.push(text);
  }
  return out;
}
