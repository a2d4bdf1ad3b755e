// The hash of a peer address, for the open-addressing tables keyed by one: the address sets'
// exact-address table (address-sets.ts) and the dataplane's address → interface table
// (dataplane/address-table.ts). Both are keyed by the same words and probed per packet, so they
// share one hash rather than each keeping a copy.
//
// Words come in as int32 (`| 0` at the caller) and the results are int32, masked by the caller:
// never heap numbers (see i32be in packet/byte-order.ts).

/** An IPv4 address (word 0). */
export function addressHashV4(w0: number): number {
  const h = Math.imul(w0 ^ 0x811c9dc5, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

/**
 * An IPv6 address as four big-endian words: an FNV-style mix, cheap and good enough for a few
 * thousand addresses.
 */
export function addressHashV6(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(6 ^ 0x811c9dc5, 0x01000193);
  h = Math.imul(h ^ w0, 0x9e3779b1);
  h = Math.imul(h ^ w1, 0x85ebca77);
  h = Math.imul(h ^ w2, 0xc2b2ae3d);
  h = Math.imul(h ^ w3, 0x27d4eb2f);
  return (h ^ (h >>> 15)) | 0;
}
