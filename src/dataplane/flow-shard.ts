// Which worker judges a frame when frames are sharded over worker threads (`sgfw replay
// --workers N`): a hash of the two addresses and the protocol that is the same both ways, so
// both directions of a flow, and every fragment of a datagram (ports live in the first fragment
// only), reach one worker and its connection-tracking table. An ICMP error is sharded by the
// datagram it quotes, so it reaches the worker that tracks the flow it is about and is judged
// `related` there, whoever sent it (a router on the path has a third address). Frames that
// decode to no IP packet are judged without state: any worker will do, the first takes them.
//
// Every worker reads every frame and computes its shard, so the hash is on every worker's
// critical path: the two addresses are summed (the sum is what makes it symmetric) and one
// murmur3 finalizer mixes sum and protocol; most frames' shards are read straight from their
// bytes (`peekShard`), without decoding. Measured: 10 ns a frame against 37 ns for a finalizer per
// address word (BENCHMARKS.md, "Replay, 1,000,000 frames").
import { DecodeStatus, type PacketView } from '../packet/packet-view.js';

/** The shard of the sum of a flow's address words (mod 2^32) and its protocol. */
function mixShard(addresses: number, protocol: number, shards: number): number {
  let h = addresses ^ Math.imul(protocol + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % shards;
}

function symmetricShard(ipVersion: number, a: Uint32Array, b: Uint32Array, protocol: number, shards: number): number {
  let sum = (a[0]! + b[0]!) | 0;
  if (ipVersion === 6) sum = (sum + a[1]! + b[1]! + a[2]! + b[2]! + a[3]! + b[3]!) | 0;
  return mixShard(sum, protocol, shards);
}

const LINK_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTOCOL_ICMP = 1;

/** the ICMP types that quote a datagram (RFC 792): the decoder shards them by the quote */
function icmpQuotes(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * The shard of an untagged Ethernet frame carrying IPv4 (any protocol; ICMP unfragmented and not
 * an error) or IPv6 (TCP or UDP right after the fixed header), read straight from its bytes: the
 * shard `flowShard` gives it decoded, for a worker that skips the frames of other shards without
 * decoding them. -1: any other frame (decode it and ask flowShard).
 */
export function peekShard(linkType: number, b: Uint8Array, offset: number, length: number, shards: number): number {
  if (linkType !== LINK_ETHERNET || length < 14 + 20) return -1;
  const type = (b[offset + 12]! << 8) | b[offset + 13]!;
  const ip = offset + 14;
  if (type === ETHERTYPE_IPV4) {
    const first = b[ip]!;
    if (first >> 4 !== 4) return -1;
    const protocol = b[ip + 9]!;
    if (protocol === PROTOCOL_ICMP) {
      // fragments (MF or an offset) and errors go to the decoder, which finds an error's quote
      const ihl = (first & 15) * 4;
      if ((b[ip + 6]! & 0x3f) !== 0 || b[ip + 7]! !== 0 || ihl < 20 || length <= 14 + ihl || icmpQuotes(b[ip + ihl]!)) return -1;
    }
    // src + dst (mod 2^32), byte column by byte column: the carries land where they would
    const sum =
      (((b[ip + 12]! + b[ip + 16]!) << 24) + ((b[ip + 13]! + b[ip + 17]!) << 16) + ((b[ip + 14]! + b[ip + 18]!) << 8) + (b[ip + 15]! + b[ip + 19]!)) | 0;
    return mixShard(sum, protocol, shards);
  }
  if (type === ETHERTYPE_IPV6) {
    if (length < 14 + 40 || b[ip]! >> 4 !== 6) return -1;
    const next = b[ip + 6]!;
    // TCP and UDP only: any other next header may be an extension header, or ICMPv6
    if (next !== 6 && next !== 17) return -1;
    let sum = 0;
    for (let s = ip + 8; s < ip + 40; s += 4) sum = (sum + ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!)) | 0;
    return mixShard(sum, next, shards);
  }
  return -1;
}

/** The shard (0 ≤ shard < shards) of a decoded frame; allocates nothing. */
export function flowShard(v: PacketView, shards: number): number {
  if (shards <= 1 || v.status !== DecodeStatus.OK) return 0;
  const q = v.quoted;
  if (q.valid) return symmetricShard(q.ipVersion, q.src, q.dst, q.protocol, shards);
  return symmetricShard(v.ipVersion, v.src, v.dst, v.protocol, shards);
}
