// Zeroed memory for the conntrack records, placed so that a record is one cache line and, when
// the table's builder gives an allocator for it, on huge pages (capture/huge-pages.ts: native
// addons are loaded in capture/, never here, so the allocator is injected). Without one, or when
// it declines, the records go in a WebAssembly memory (page-aligned, so 64-byte records never
// straddle two lines), and failing that in a plain ArrayBuffer.

/** Where the records live: `huge-pages` (advised), `mapped` (mapped, advice refused), `wasm`, `heap`. */
export type RecordMemoryKind = 'huge-pages' | 'mapped' | 'wasm' | 'heap';

export interface RecordMemory {
  buffer: ArrayBuffer;
  kind: RecordMemoryKind;
}

/** At least `bytes` of zeroed memory, or null to decline (the WebAssembly fallback is used). */
export type RecordAllocator = (bytes: number) => RecordMemory | null;

/** At least `bytes` of zeroed memory for records: from `allocate` if given and it accepts. */
export function recordMemory(bytes: number, allocate?: RecordAllocator): RecordMemory {
  const placed = allocate?.(bytes);
  if (placed) return placed;
  const pages = Math.ceil(bytes / 65536);
  try {
    // lib is ES2022 without DOM: WebAssembly exists at run time but has no value typing here.
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    return { buffer: new wasm.Memory({ initial: pages, maximum: pages }).buffer, kind: 'wasm' };
  } catch {
    return { buffer: new ArrayBuffer(bytes), kind: 'heap' };
  }
}
