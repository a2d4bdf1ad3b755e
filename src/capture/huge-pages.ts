// The typed face of native-bindings/hugepages: memory for the conntrack records on transparent
// huge pages. Native addons are loaded here, in capture/, not by conntrack/: the table takes this
// allocator from whoever builds it (the cli, replay and live wire it into the Dataplane).
//
// Why huge pages: the table is read at random, one record per packet, and is tens of MB; on 4 KiB
// pages nearly every lookup also misses the TLB (in a VM, a two-dimensional page walk). With
// transparent huge pages in `madvise` mode (the usual distribution default) only memory that is
// madvised gets them, and JS cannot madvise; the addon maps the area 2 MiB aligned and advises
// it. Measured on the pipeline benchmark: 605 → 504 CPU ns/frame (BENCHMARKS.md, section 2).
import { createRequire } from 'node:module';

export const HUGEPAGES_ADDON = new URL('../../native-bindings/hugepages/build/Release/hugepages.node', import.meta.url);

/** What the allocator gives: `huge-pages` (advised) or `mapped` (mapped, the advice refused). */
export interface HugePageMemory {
  buffer: ArrayBuffer;
  kind: 'huge-pages' | 'mapped';
}

interface HugePagesAddon {
  allocate(bytes: number): { buffer: ArrayBuffer; advised: boolean };
  /** absent from builds older than it (the addon is rebuilt by scripts/build-native.sh) */
  advise?(buffer: ArrayBuffer): number;
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
 * At least `bytes` of zeroed memory mapped 2 MiB aligned and advised for huge pages, or null when
 * the addon is not built, the area is below one huge page, or mmap refuses: the caller (the
 * conntrack table's record memory) then falls back to a WebAssembly memory. A RecordAllocator.
 */
export function hugePageMemory(bytes: number): HugePageMemory | null {
  const native = bytes >= HUGE_PAGE_BYTES ? hugePagesAddon() : null;
  if (!native) return null;
  try {
    const r = native.allocate(bytes);
    return { buffer: r.buffer, kind: r.advised ? 'huge-pages' : 'mapped' };
  } catch {
    // mmap refused (address space limits): the WebAssembly memory may still fit.
    return null;
  }
}

/**
 * Advises the 2 MiB-aligned part of a buffer V8 allocated (a WebAssembly memory's: a wasm
 * instance reads only its own memory, so records it works on live there) for huge pages, before
 * its pages are first touched. Returns the bytes advised: 0 when the addon is not built, the
 * buffer holds no whole huge page, or the advice is refused (or the addon was built before it).
 */
export function adviseHugePages(buffer: ArrayBuffer): number {
  return hugePagesAddon()?.advise?.(buffer) ?? 0;
}
