// Idle timeouts of tracked flows, in milliseconds. An entry stays alive while
// `nowMs <= lastPacketMs + timeout`, so a packet exactly `timeout` after the last one still
// matches ("within 600 seconds" is read inclusively) and one a millisecond later does not.
//
// | flow / state                               | timeout      | source                                      |
// |--------------------------------------------|--------------|---------------------------------------------|
// | TCP ESTABLISHED                            | tcpEstablished (432000 s) | ConnectionTrackingSpecification, AWS default |
// | TCP SYN_SENT (SYN seen, no answer)         | 120 s        | Linux nf_conntrack default; AWS documents none |
// | TCP SYN_RECV (SYN-ACK seen)                | 60 s         | Linux nf_conntrack default                  |
// | TCP FIN_WAIT (one side sent FIN)           | 120 s        | Linux FIN_WAIT default                      |
// | TCP CLOSING (both sides sent FIN)          | 60 s         | Linux CLOSE_WAIT / LAST_ACK, rounded up     |
// | TCP TIME_WAIT (last ACK after both FINs)   | 120 s        | Linux TIME_WAIT default (2 MSL)             |
// | TCP CLOSED (RST seen)                      | 10 s         | Linux CLOSE default                         |
// | UDP, one direction or one request-response | udp (30 s)   | ConnectionTrackingSpecification, AWS default |
// | UDP, more than one request-response        | udpStream (180 s) | ConnectionTrackingSpecification, AWS default |
// | ICMP/ICMPv6 queries (echo, timestamp, …)   | 60 s         | AWS documents none; Linux uses 30 s, we keep the longer one so we never cut a reply AWS would pass |
// | other IP protocols (address pair + number) | 600 s        | seed 001: "within 600 seconds of the original request or response" |
// | any flow not yet answered, table ≥ 90% full | at most 10 s | ours, see UNANSWERED_UNDER_PRESSURE_MS      |
//
// The three configurable timeouts come per interface (its ConnectionTrackingSpecification); their
// AWS defaults and ranges are model/conntrack-spec.ts's CONNTRACK_DEFAULTS, the one table of them.
// AWS documents only those and the 600-second rule; for the TCP half-open and closing states it
// says nothing, so we use the Linux defaults, which are the usual reference for stateful firewalls
// and err on the long side.
import { isIcmpProtocol } from './icmp-kinds.js';

const SECOND = 1000;

export const TCP_SYN_SENT_MS = 120 * SECOND;
export const TCP_SYN_RECV_MS = 60 * SECOND;
export const TCP_FIN_WAIT_MS = 120 * SECOND;
export const TCP_CLOSING_MS = 60 * SECOND;
export const TCP_TIME_WAIT_MS = 120 * SECOND;
export const TCP_CLOSED_MS = 10 * SECOND;
export const ICMP_QUERY_MS = 60 * SECOND;
/**
 * Seed 001: "For protocols other than TCP, UDP, or ICMP, only the IP address and protocol number
 * is tracked. If your instance sends traffic to another host (host B), and host B initiates the
 * same type of traffic to your instance in a separate request within 600 seconds of the original
 * request or response, your instance accepts it regardless of inbound security group rules."
 */
export const OTHER_PROTOCOL_MS = 600 * SECOND;

/**
 * A table at least this full is under pressure: a flow not yet answered (see the table's
 * "assured") then gets at most UNANSWERED_UNDER_PRESSURE_MS. 90%: far enough below full that a
 * flood is cut back before new flows meet a full table, high enough that a busy table of real
 * flows, answered within a second, never notices.
 */
export const PRESSURE_FRACTION = 0.9;
/**
 * The idle timeout of an unanswered flow under pressure. Longer than a resolver's retry interval
 * (5 s) and TCP's first three SYN retransmissions (1 + 2 + 4 s), each of which restarts it, so a
 * real peer that answers at all answers in time; 12× shorter than SYN_SENT's 120 s, so a flood's
 * residue leaves on its own.
 */
export const UNANSWERED_UNDER_PRESSURE_MS = 10 * SECOND;

/**
 * The timeout of a flow without ports or TCP/UDP state: an ICMP query, or any protocol other than
 * TCP, UDP and ICMP (seed 001's 600-second rule, see OTHER_PROTOCOL_MS).
 */
export function portlessTimeoutMs(ipVersion: number, protocol: number): number {
  return isIcmpProtocol(ipVersion, protocol) ? ICMP_QUERY_MS : OTHER_PROTOCOL_MS;
}
