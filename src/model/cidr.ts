// CIDR blocks as EC2 takes them: a network address and a prefix length, host bits clear. In rules
// and prefix-list entries EC2 refuses `10.0.0.1/24` ("CIDR block 10.0.0.1/24 is malformed") rather
// than truncating it, so we do too; CreateVpc is the exception EC2 documents: it "modifies the
// specified CIDR block to its canonical form" (`100.68.0.18/18` becomes `100.68.0.0/18`).
import ipaddr from 'ipaddr.js';
import { Ec2Errors } from './errors.js';
import { shown } from './shown.js';

export interface Cidr {
  readonly family: 4 | 6;
  /** canonical text: `10.0.0.0/8`, `2001:db8::/32` (IPv6 compressed, lower case) */
  readonly text: string;
}

/** What to do with host bits set: refuse the block (rules, entries) or clear them (CreateVpc). */
export type HostBits = 'refuse' | 'clear';

/** Parses an IPv4 or IPv6 CIDR; throws InvalidParameterValue naming the block when it is not one. */
export function parseCidr(text: unknown, family?: 4 | 6, hostBits: HostBits = 'refuse'): Cidr {
  if (typeof text !== 'string') throw Ec2Errors.cidrMalformed(shown(text));
  const slash = text.indexOf('/');
  if (slash < 0) throw Ec2Errors.cidrMalformed(text);
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) throw Ec2Errors.cidrMalformed(text);
  const length = Number(lengthText);
  let kind: 4 | 6;
  if (ipaddr.IPv4.isValidFourPartDecimal(addressText)) kind = 4;
  else if (addressText.includes(':') && ipaddr.IPv6.isValid(addressText) && !addressText.includes('%')) kind = 6;
  else throw Ec2Errors.cidrMalformed(text);
  if (family !== undefined && kind !== family) throw Ec2Errors.cidrMalformed(text);
  if (length > (kind === 4 ? 32 : 128)) throw Ec2Errors.cidrMalformed(text);
  const address = ipaddr.parse(addressText);
  const network =
    kind === 4
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addressText}/${length}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addressText}/${length}`);
  if (network.toString() !== address.toString()) {
    if (hostBits === 'refuse') throw Ec2Errors.cidrMalformed(text);
    return { family: kind, text: `${network.toString()}/${length}` };
  }
  return { family: kind, text: `${address.toString()}/${length}` };
}

/**
 * A single address (no prefix length) that a network interface can hold: a unicast address. The
 * unspecified address (0.0.0.0, ::), the limited broadcast 255.255.255.255 and multicast
 * addresses name no one host, and an interface holding one would make rules about "its" traffic
 * match every sender or none.
 */
export function parseAddress(text: unknown, family: 4 | 6): string | undefined {
  if (typeof text !== 'string') return undefined;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (family === 4) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
    address = ipaddr.IPv4.parse(text);
  } else {
    if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    address = ipaddr.IPv6.parse(text);
  }
  const range = address.range();
  if (range === 'unspecified' || range === 'broadcast' || range === 'multicast') return undefined;
  return address.toString();
}
