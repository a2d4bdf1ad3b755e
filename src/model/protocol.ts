// IpProtocol as EC2 documents it: "The IP protocol name (tcp, udp, icmp, icmpv6) or number …
// Use -1 to specify all protocols." Names in any case; numbers 0-255 in decimal. `all` is the AWS
// CLI's own shorthand, which the CLI turns into -1 before it sends a request
// (awscli/customizations/ec2/protocolarg.py), so the API refuses it, as it refuses padded values. EC2 prints the four named protocols by name even when
// they were sent as numbers, and every other number as its decimal string.
import { Ec2Errors } from './errors.js';
import { shown } from './shown.js';

export const PROTOCOL = { ALL: -1, ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

const BY_NAME: Readonly<Record<string, number>> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, '-1': -1 };
const NAME_OF: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6', [-1]: '-1' };

export interface Protocol {
  readonly number: number;
  /** how EC2 prints it: `tcp`, `udp`, `icmp`, `icmpv6`, `-1`, or the number */
  readonly text: string;
}

export function parseProtocol(value: unknown): Protocol {
  const raw = typeof value === 'number' ? String(value) : value;
  if (typeof raw !== 'string') throw Ec2Errors.unknownProtocol(shown(value));
  const lower = raw.toLowerCase();
  let n = Object.hasOwn(BY_NAME, lower) ? BY_NAME[lower] : undefined;
  if (n === undefined) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(lower) || Number(lower) > 255) throw Ec2Errors.unknownProtocol(raw);
    n = Number(lower);
  }
  return { number: n, text: protocolText(n) };
}

export function protocolText(n: number): string {
  return NAME_OF[n] ?? String(n);
}

/** The protocol as EC2 writes it inside messages (`TCP`, `ALL`, `50`). */
export function protocolLabel(n: number): string {
  return n === -1 ? 'ALL' : protocolText(n).toUpperCase();
}

/** Protocols whose rules carry a port range (TCP/UDP) or an ICMP type/code. */
export function hasPorts(n: number): boolean {
  return n === PROTOCOL.TCP || n === PROTOCOL.UDP;
}
export function isIcmp(n: number): boolean {
  return n === PROTOCOL.ICMP || n === PROTOCOL.ICMPV6;
}
