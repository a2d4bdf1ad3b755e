// Zeroed memory for the conntrack records, placed so that a record is one cache line and, where
// the machine allows, so that the table sits on huge pages.
//
// The table is read at random, one record per packet, and is tens of MB: on 4 KiB pages nearly
// every lookup also misses the TLB (in a VM, a two-dimensional page walk). With transparent huge
// pages in `madvise` mode (the usual distribution default) only memory that is madvised gets
// them, and JS cannot madvise; the `hugepages` addon (native-bindings/hugepages) maps the table
// 2 MiB aligned and advises it. Measured on the pipeline benchmark: 605 → 504 CPU ns/frame
// (BENCHMARKS.md, section 2). Without the addon, or below one huge page, the records go in a
// WebAssembly memory (page-aligned, so 64-byte records never straddle two lines), and failing
// that in a plain ArrayBuffer.
import { createRequire } from 'node:module';

export const HUGEPAGES_ADDON = new URL('../../native-bindings/hugepages/build/Release/hugepages.node', import.meta.url);

/** Where the records live: `huge-pages` (advised), `mapped` (mapped, advice refused), `wasm`, `heap`. */
export type RecordMemoryKind = 'huge-pages' | 'mapped' | 'wasm' | 'heap';

export interface RecordMemory {
  buffer: ArrayBuffer;
  kind: RecordMemoryKind;
}

interface HugePagesAddon {
  allocate(bytes: number): { buffer: ArrayBuffer; advised: boolean };
}

const HUGE_PAGE_BYTES = 2 << 20;

let addon: HugePagesAddon | null | undefined;

function hugePagesAddon(): HugePagesAddon | null {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(HUGEPAGES_ADDON.pathname) as HugePagesAddon;
    } catch {
      // Not built (scripts/build-native.sh): the table works the same, only slower.
      addon = null;
    }
  }
  return addon;
}

/**
 * At least `bytes` of zeroed memory for records. `hugePages: false` skips the addon (the
 * fallbacks are what a machine without it gets).
 */
export function recordMemory(bytes: number, hugePages = true): RecordMemory {
  const native = hugePages && bytes >= HUGE_PAGE_BYTES ? hugePagesAddon() : null;
  if (native) {
    try {
      const r = native.allocate(bytes);
      return { buffer: r.buffer, kind: r.advised ? 'huge-pages' : 'mapped' };
    } catch {
      // mmap refused (address space limits): the WebAssembly memory below may still fit.
    }
  }
  const pages = Math.ceil(bytes / 65536);
  try {
    // lib is ES2022 without DOM: WebAssembly exists at run time but has no value typing here.
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    return { buffer: new wasm.Memory({ initial: pages, maximum: pages }).buffer, kind: 'wasm' };
  } catch {
    return { buffer: new ArrayBuffer(bytes), kind: 'heap' };
  }
}
