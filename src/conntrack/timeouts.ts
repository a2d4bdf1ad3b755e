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
//
// AWS documents only the three configurable timeouts and the 600-second rule; for the TCP
// half-open and closing states it says nothing, so we use the Linux defaults, which are the
// usual reference for stateful firewalls and err on the long side.
import type { ConntrackTimeouts } from '../model/model-view.js';

const SECOND = 1000;

export const TCP_SYN_SENT_MS = 120 * SECOND;
export const TCP_SYN_RECV_MS = 60 * SECOND;
export const TCP_FIN_WAIT_MS = 120 * SECOND;
export const TCP_CLOSING_MS = 60 * SECOND;
export const TCP_TIME_WAIT_MS = 120 * SECOND;
export const TCP_CLOSED_MS = 10 * SECOND;
export const ICMP_QUERY_MS = 60 * SECOND;
export const OTHER_PROTOCOL_MS = 600 * SECOND;

/** AWS's defaults for the ConnectionTrackingSpecification of a network interface. */
export const AWS_DEFAULT_TIMEOUTS: ConntrackTimeouts = Object.freeze({
  tcpEstablished: 432000,
  udpStream: 180,
  udp: 30,
});
