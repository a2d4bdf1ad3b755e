// Field reads straight from the bytes: a Uint8Array index never throws (it yields undefined past
// the end), and callers check lengths once before reading, smoltcp's validate-once habit.

export function u16be(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32be(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/**
 * The same 32 bits as u32be, as a signed int32: what the per-packet path stores into a Uint32Array
 * word. A uint32 above 2^30 returned from a call the JIT does not inline is boxed in a heap number.
 */
export function i32be(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
