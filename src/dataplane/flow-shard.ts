// Which worker judges a frame when frames are sharded over worker threads (`sgfw replay
// --workers N`): a hash of the two addresses and the protocol that is the same both ways, so
// both directions of a flow, and every fragment of a datagram (ports live in the first fragment
// only), reach one worker and its connection-tracking table. An ICMP error is sharded by the
// datagram it quotes, so it reaches the worker that tracks the flow it is about and is judged
// `related` there, whoever sent it (a router on the path has a third address). Frames that
// decode to no IP packet are judged without state: any worker will do, the first takes them.
import { DecodeStatus, type PacketView } from '../packet/packet-view.js';

/** A 32-bit mix of one address's words (murmur3's finalizer over a running combination). */
function addressHash(words: Uint32Array, ipVersion: number): number {
  let h = words[0]! | 0;
  if (ipVersion === 6) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ words[1]!;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ words[2]!;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ words[3]!;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function symmetricShard(ipVersion: number, a: Uint32Array, b: Uint32Array, protocol: number, shards: number): number {
  return mixShard(addressHash(a, ipVersion) + addressHash(b, ipVersion), protocol, shards);
}

function mixShard(addresses: number, protocol: number, shards: number): number {
  // Adding the two addresses' hashes is what makes it symmetric; the protocol goes in after.
  let h = addresses ^ Math.imul(protocol + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) % shards;
}

const LINK_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const one = new Uint32Array(4);
const other = new Uint32Array(4);

/**
 * The shard of an untagged Ethernet frame carrying IPv4 or IPv6 (no extension headers) with any
 * protocol but ICMP, read straight from its bytes: the same shard `flowShard` gives it decoded,
 * for a worker that skips the frames of other shards without decoding them. -1: any other frame
 * (decode it and ask flowShard).
 */
export function peekShard(linkType: number, b: Uint8Array, offset: number, length: number, shards: number): number {
  if (linkType !== LINK_ETHERNET || length < 54) return -1;
  const type = (b[offset + 12]! << 8) | b[offset + 13]!;
  const ip = offset + 14;
  if (type === ETHERTYPE_IPV4) {
    if (b[ip]! >> 4 !== 4) return -1;
    const protocol = b[ip + 9]!;
    if (protocol === 1) return -1;
    one[0] = (b[ip + 12]! << 24) | (b[ip + 13]! << 16) | (b[ip + 14]! << 8) | b[ip + 15]!;
    other[0] = (b[ip + 16]! << 24) | (b[ip + 17]! << 16) | (b[ip + 18]! << 8) | b[ip + 19]!;
    return mixShard(addressHash(one, 4) + addressHash(other, 4), protocol, shards);
  }
  if (type === ETHERTYPE_IPV6) {
    if (length < 14 + 40 || b[ip]! >> 4 !== 6) return -1;
    const next = b[ip + 6]!;
    // TCP and UDP only: any other next header may be an extension header, or ICMPv6
    if (next !== 6 && next !== 17) return -1;
    for (let w = 0; w < 4; w++) {
      const s = ip + 8 + w * 4;
      one[w] = (b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!;
      const d = s + 16;
      other[w] = (b[d]! << 24) | (b[d + 1]! << 16) | (b[d + 2]! << 8) | b[d + 3]!;
    }
    return mixShard(addressHash(one, 6) + addressHash(other, 6), next, shards);
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
