// The conntrack table's records: where each field of an entry sits, as named word offsets and flag
// bits, shared by the modules of this folder that read the records (the table, which alone writes
// them; the eviction policy; the entry descriptions). Not exported from index.ts: outside this
// folder the records are the table's business.
//
// Layout: open addressing with linear probing over `slots` 64-byte records held in one
// page-aligned buffer (viewed as words, signed words and doubles), one record per cache line.
// A key's home slot is its hash masked to the table; a lookup reads the record there and, on a
// collision, the next ones — adjacent lines, which the hardware prefetches — until it finds the
// key or an empty slot. So a lookup costs one cache miss: the chained layout this replaces read
// a bucket head, then the record it pointed to, two dependent misses (a CPU profile showed them
// as the largest cost of the whole pipeline).
// Deletion shifts the rest of the cluster back (Knuth's algorithm R) instead of leaving a
// tombstone: a flow table churns all the time, and tombstones would lengthen every probe until a
// rebuild. Moves only ever go back towards an entry's home slot, so the sweep cursor and the
// loops over all slots re-examine the slot they removed from.
// Sizing (slotsFor): at most the power of two at or above 4/3 of `capacity`, so the load factor
// stays at or below 0.75 even when full (expected probes: hit ≤ 2.5, miss ≤ 8.5 records,
// contiguous) and one empty slot always ends a probe. Below that the table holds twice the slots
// its flows need, at least (it doubles when half full, see the table's resize). Memory: 64 ×
// slots bytes — 128 bytes per flow at the default capacity of 2^20 with 2^20 flows (load 0.5),
// at most 256 per flow just after a doubling, while the old table's entries migrate.
// Cuckoo and hopscotch tables were the alternatives: cuckoo reads two random lines on every miss
// (and every new flow starts with a miss) and needs kick-out chains on insert; hopscotch keeps a
// neighbourhood bitmap per slot to reach the same one-line hit that linear probing gets at this
// load factor for free.

// The names are const enums, not consts: tsc writes their values into the code that uses them,
// while an imported `const` is read from the exporting module at every use, and the probe and
// shift loops use these on every record (measured: a full table's evicting insert was 7% slower
// with imported consts than with the same names private to the table). Under vitest, esbuild
// keeps them as enum objects: slower, same values.

/** A record in 32-bit words (the Uint32Array and Int32Array views). */
export const enum Word {
  /** words per record: 64 bytes, one cache line */
  STRIDE = 16,
  HASH = 0,
  /** ifIndex << 16 | protocol << 8 | ipVersion */
  INFO = 1,
  /** port A << 16 | port B; ICMP queries: identifier << 16 | request type */
  PORTS = 2,
  /**
   * the originator's source bucket (see the table's sourceBucket) in the low Endpoints.SOURCE_BITS;
   * above them (Endpoints.OTHER_SHIFT) the interface index + 1 of the endpoint the record's own
   * interface is not on (0: unmanaged), valid while the record's generation is current
   */
  SOURCE = 3,
  /** endpoint A's address: 1 word for IPv4, 4 for IPv6 (the rest 0) */
  A = 4,
  B = 8,
  /** TCP state; UDP: direction changes seen (saturating at Udp.STREAM_TURNS) */
  STATE = 12,
  /**
   * Flag bits (the low byte); above them (Endpoints.GENERATION_SHIFT) the address-map generation
   * the record's endpoints were last looked up at. 0 in an empty slot
   */
  FLAGS = 13,
}

/** A record in doubles (the Float64Array view). */
export const enum Double {
  STRIDE = 8,
  /** when the entry expires, ms; 0 in an empty slot */
  EXPIRES = 7,
}

/** Word.FLAGS bits. Every live record has LIVE. */
export const enum Flag {
  LIVE = 1,
  ORIGINATOR_IS_A = 2,
  SEEN_REPLY = 4,
  /** UDP: the last packet came from the originator */
  LAST_FROM_ORIGINATOR = 8,
  /** answered (TCP: the handshake done too); counted in its source's bucket while not */
  ASSURED = 16,
  /** unassured, its timeout cut to UNANSWERED_UNDER_PRESSURE_MS */
  EARLY = 32,
  /** endpoint A is the managed side of the entry's interface (the flow was tracked going out from A) */
  INSIDE_IS_A = 64,
  /**
   * the record's interface (Word.INFO >>> 16) is endpoint A's in the address map of the record's
   * generation (else B's); valid while that generation is current
   */
  AT_A = 128,
}

/**
 * What a record remembers of the address map (which managed interface each endpoint's address is
 * on), so that a packet of an established flow finds its interfaces in its flow's record instead of
 * looking both addresses up first. Trusted only while the record's generation is the table's: any
 * change to the address map advances that, and a record is stamped again when the slow path (the
 * address lookups, then the keyed lookup) next finds it.
 */
export const enum Endpoints {
  FLAGS_MASK = 0xff,
  GENERATION_SHIFT = 8,
  /** generations fit in the 24 bits above the flags; past this the table restamps every record 0 */
  MAX_GENERATION = 0xffffff,
  SOURCE_MASK = 0xfff,
  OTHER_SHIFT = 12,
  /** interface index + 1: 17 bits (MAX_INTERFACE_INDEX is 0xffff) */
  OTHER_MASK = 0x1ffff,
}

export const enum Udp {
  /** direction changes (Word.STATE) after which a flow has seen more than one request-response */
  STREAM_TURNS = 3,
}

/** the largest capacity: 2^25 flows in 2^26 slots, 4 GiB, the most a WebAssembly memory holds */
export const MAX_CAPACITY = 1 << 25;

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The record slots for `capacity` entries: the power of two at or above 4/3 of it. */
export function slotsFor(capacity: number): number {
  return nextPowerOfTwo(Math.ceil((capacity * 4) / 3));
}
