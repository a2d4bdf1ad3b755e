// The key of the packet at hand, the base of ConntrackTable's class chain (conntrack-table.ts
// lists it): built in preallocated scratch fields (nothing allocated per packet), hashed, compared word by word with a record,
// and kept by row for staged frames. A base class, not a field of its own object: the probe loop
// reads the key as the table's own monomorphic fields, with no second object's loads per packet
// and no call boundary V8 would not inline (every subclass method sees one hidden class).
//
// Keys:
// - TCP, UDP: (interface, family, protocol, endpoint A, endpoint B), the two endpoints ordered
//   (address words, then port) so both directions find one entry; the entry remembers which
//   endpoint opened the flow.
// - ICMP/ICMPv6 queries (echo, timestamp, information, address mask): (requester, responder,
//   identifier, request type), oriented: a request A→B and a reply B→A find the entry A opened,
//   a request B→A with the same identifier is another flow.
// - Other protocols: (address pair, protocol number), no ports (seed 001: "only the IP address
//   and protocol number is tracked").
// The interface is part of the key but not of its hash: a frame between two managed interfaces
// probes one home slot twice.
import { IpProto } from '../packet/packet-view.js';
import { Sources } from './eviction.js';
import { hashFinish, hashWord } from './flow-hash.js';
import { icmpRequestType } from './icmp-kinds.js';
import { Word } from './record-layout.js';

/** What the scratch key holds, for lookupSameNow. */
export const enum Keyed {
  NONE = 0,
  /** a flow or ICMP query: its lookup refreshes and may be followed by trackMissNow */
  FLOW = 1,
  /** the flow an ICMP error quotes */
  RELATED = 2,
  /** built for another call (homeOf, placeOf, a track without its lookup): not reusable */
  STALE = 3,
}

/** keys `keepKey` keeps (the dataplane stages batches of up to 16 frames) */
const STAGED_KEYS = 32;
/** A kept key in words: endpoint A (4), endpoint B (4), info, ports, hash, sender is A. */
const enum Kept {
  A = 0,
  B = 4,
  INFO = 8,
  PORTS = 9,
  HASH = 10,
  SENDER_IS_A = 11,
  STRIDE = 12,
}

export class ScratchKey {
  protected readonly seed: number;
  // The key of the packet at hand.
  protected readonly kA = new Uint32Array(4);
  protected readonly kB = new Uint32Array(4);
  protected kInfo = 0;
  protected kPorts = 0;
  protected kHash = 0;
  /** the packet's sender is endpoint A */
  protected kSenderIsA = false;
  /**
   * lookupNow(missIf, missPkt) missed, and since then no key was built and no entry moved: the
   * scratch key and `kEmpty` still describe that packet (see trackMissNow).
   */
  protected missKeyed = false;
  /** lookupFlowNow's probe met no entry of the key on any interface, at layoutChanges `flowMissAt` (see lookupSameNow) */
  protected flowMissed = false;
  /**
   * What the last lookupNow keyed (Keyed): a flow or query, an ICMP error's quoted flow, or
   * nothing; lookupSameNow reuses it for the frame's other interface.
   */
  protected keyed: number = Keyed.STALE;
  /** the keys keepKey kept, by row (see Kept) */
  private readonly kept = new Uint32Array(STAGED_KEYS * Kept.STRIDE);

  constructor(seed: number) {
    this.seed = seed;
  }

  /** TCP/UDP/other: endpoints ordered so both directions build the same key. */
  protected keyFlow(
    ifIndex: number,
    ver: number,
    proto: number,
    src: Uint32Array,
    dst: Uint32Array,
    srcPort: number,
    dstPort: number,
  ): void {
    if (proto !== IpProto.TCP && proto !== IpProto.UDP) {
      srcPort = 0;
      dstPort = 0;
    }
    let order = 0; // < 0: src is lower
    const words = ver === 4 ? 1 : 4;
    for (let k = 0; k < words && order === 0; k++) order = src[k] - dst[k];
    if (order === 0) order = srcPort - dstPort;
    const srcIsA = order <= 0;
    this.setKey(ifIndex, ver, proto, srcIsA ? src : dst, srcIsA ? dst : src, srcIsA ? srcPort : dstPort, srcIsA ? dstPort : srcPort);
    this.kSenderIsA = srcIsA;
  }

  /** ICMP queries: A is the requester. False when the message is not a query. */
  protected keyIcmpQuery(
    ifIndex: number,
    ver: number,
    proto: number,
    src: Uint32Array,
    dst: Uint32Array,
    type: number,
    id: number,
  ): boolean {
    const requestType = icmpRequestType(ver, type);
    if (requestType < 0) return false;
    const isRequest = type === requestType;
    this.setKey(ifIndex, ver, proto, isRequest ? src : dst, isRequest ? dst : src, id, requestType);
    this.kSenderIsA = isRequest;
    return true;
  }

  private setKey(ifIndex: number, ver: number, proto: number, a: Uint32Array, b: Uint32Array, portA: number, portB: number): void {
    const ka = this.kA;
    const kb = this.kB;
    ka[0] = a[0];
    kb[0] = b[0];
    if (ver === 6) {
      ka[1] = a[1];
      ka[2] = a[2];
      ka[3] = a[3];
      kb[1] = b[1];
      kb[2] = b[2];
      kb[3] = b[3];
    } else {
      // The decoder may leave an earlier IPv6 packet's words behind: an IPv4 key is word 0 only.
      ka[1] = ka[2] = ka[3] = 0;
      kb[1] = kb[2] = kb[3] = 0;
    }
    this.missKeyed = false;
    this.flowMissed = false;
    // lookupNow and lookupRelated say what they keyed; any other caller's key is not theirs.
    this.keyed = Keyed.STALE;
    this.kInfo = ((ifIndex & 0xffff) << 16) | ((proto & 0xff) << 8) | ver;
    this.kPorts = ((portA & 0xffff) << 16) | (portB & 0xffff);
    // The interface is left out of the hash (it is still part of the key): a frame between two
    // managed interfaces looks up the same bucket twice, and the second time it is in cache.
    // Words go in as int32 (`| 0`), never heap numbers: see i32be in packet/byte-order.ts.
    let h = hashWord(this.seed, this.kInfo & 0xffff);
    h = hashWord(h, this.kPorts);
    h = hashWord(h, ka[0] | 0);
    h = hashWord(h, kb[0] | 0);
    if (ver === 6) {
      h = hashWord(h, ka[1] | 0);
      h = hashWord(h, ka[2] | 0);
      h = hashWord(h, ka[3] | 0);
      h = hashWord(h, kb[1] | 0);
      h = hashWord(h, kb[2] | 0);
      h = hashWord(h, kb[3] | 0);
    }
    this.kHash = hashFinish(h, ver === 6 ? 10 : 4);
  }

  /**
   * The bucket of the originator's address (endpoint A when `originatorIsA`) of the scratch key,
   * seeded apart from the key's hash.
   */
  protected sourceBucket(originatorIsA: boolean): number {
    const o = originatorIsA ? this.kA : this.kB;
    let h = hashWord(~this.seed, o[0] | 0);
    if ((this.kInfo & 0xff) === 6) {
      h = hashWord(h, o[1] | 0);
      h = hashWord(h, o[2] | 0);
      h = hashWord(h, o[3] | 0);
    }
    return hashFinish(h, 4) & (Sources.BUCKETS - 1);
  }

  /** Does the record at word `w` of `u`/`sw` hold the scratch key's endpoints (ports and addresses)? */
  protected sameEndpoints(u: Uint32Array, sw: Int32Array, w: number): boolean {
    const ka = this.kA;
    const kb = this.kB;
    return (
      sw[w + Word.PORTS] === this.kPorts &&
      u[w + Word.A] === ka[0] &&
      u[w + Word.B] === kb[0] &&
      u[w + Word.A + 1] === ka[1] &&
      u[w + Word.A + 2] === ka[2] &&
      u[w + Word.A + 3] === ka[3] &&
      u[w + Word.B + 1] === kb[1] &&
      u[w + Word.B + 2] === kb[2] &&
      u[w + Word.B + 3] === kb[3]
    );
  }

  /** Does the record at word `w` of `u`/`sw` (one table's two views) hold the scratch key? */
  protected matches(u: Uint32Array, sw: Int32Array, w: number): boolean {
    const ka = this.kA;
    const kb = this.kB;
    // The key's scalar words are int32 (see i32be in packet/byte-order.ts): compare
    // them through the signed view of the same memory.
    return (
      sw[w + Word.HASH] === this.kHash &&
      sw[w + Word.INFO] === this.kInfo &&
      sw[w + Word.PORTS] === this.kPorts &&
      u[w + Word.A] === ka[0] &&
      u[w + Word.B] === kb[0] &&
      u[w + Word.A + 1] === ka[1] &&
      u[w + Word.A + 2] === ka[2] &&
      u[w + Word.A + 3] === ka[3] &&
      u[w + Word.B + 1] === kb[1] &&
      u[w + Word.B + 2] === kb[2] &&
      u[w + Word.B + 3] === kb[3]
    );
  }

  /** Keeps the scratch key in row `row` (0 ≤ row < STAGED_KEYS) for takeKey. */
  protected keepKey(row: number): void {
    const k = this.kept;
    const r = row * Kept.STRIDE;
    const a = this.kA;
    const b = this.kB;
    k[r + Kept.A] = a[0];
    k[r + Kept.A + 1] = a[1];
    k[r + Kept.A + 2] = a[2];
    k[r + Kept.A + 3] = a[3];
    k[r + Kept.B] = b[0];
    k[r + Kept.B + 1] = b[1];
    k[r + Kept.B + 2] = b[2];
    k[r + Kept.B + 3] = b[3];
    k[r + Kept.INFO] = this.kInfo;
    k[r + Kept.PORTS] = this.kPorts;
    k[r + Kept.HASH] = this.kHash;
    k[r + Kept.SENDER_IS_A] = this.kSenderIsA ? 1 : 0;
  }

  /** The key keepKey kept in row `row` becomes the scratch key again. */
  protected takeKey(row: number): void {
    const k = this.kept;
    const r = row * Kept.STRIDE;
    const a = this.kA;
    const b = this.kB;
    a[0] = k[r + Kept.A];
    a[1] = k[r + Kept.A + 1];
    a[2] = k[r + Kept.A + 2];
    a[3] = k[r + Kept.A + 3];
    b[0] = k[r + Kept.B];
    b[1] = k[r + Kept.B + 1];
    b[2] = k[r + Kept.B + 2];
    b[3] = k[r + Kept.B + 3];
    // As int32, as setKey leaves them (see i32be in packet/byte-order.ts).
    this.kInfo = k[r + Kept.INFO] | 0;
    this.kPorts = k[r + Kept.PORTS] | 0;
    this.kHash = k[r + Kept.HASH] | 0;
    this.kSenderIsA = k[r + Kept.SENDER_IS_A] !== 0;
  }
}
