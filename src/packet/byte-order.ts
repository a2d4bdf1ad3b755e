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
 * word.
 *
 * Why int32 (said once here; the per-packet code points to it): optimized code keeps numbers
 * untagged, but where it hands one over tagged (argument or result of a call the JIT did not
 * inline, a plain object field or array slot) a number that is not a Smi is boxed in a heap
 * number, one allocation per packet on the hot path. Node's 64-bit builds have no pointer
 * compression (`process.config.variables.v8_enable_pointer_compression` is 0 on Node 20 x64), so a
 * Smi is a 32-bit signed integer: every int32 is one, a uint32 ≥ 2^31 is not. Hence address words,
 * hashes and key words cross calls as int32 (`| 0`, or this function) and typed arrays hold the
 * rest; a time in ms (fractional, or past 2^31) is never a Smi, so it reaches the pipeline in a
 * Float64Array (`clock[0]`), not as an argument. This relies on 32-bit Smis: with pointer
 * compression they are 31-bit, and an int32 outside [-2^30, 2^30) would be boxed as well.
 */
export function i32be(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
