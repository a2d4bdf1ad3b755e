import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS } from '../../src/conntrack/index.js';
import { adviseHugePages, HUGEPAGES_ADDON, hugePageMemory } from '../../src/capture/huge-pages.js';
import { recordMemory } from '../../src/conntrack/record-memory.js';
import { AWS_DEFAULTS, udp } from './packets.js';

const MB = 1 << 20;
/** The project's rule for tests of what a set-up machine has: they run as root, and always in CI. */
const rootOrCi = process.getuid?.() === 0 || Boolean(process.env.CI);
const addonBuilt = existsSync(HUGEPAGES_ADDON.pathname);
const thpMode = existsSync('/sys/kernel/mm/transparent_hugepage/enabled')
  ? (/\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'never')
  : 'never';

/** kB of anonymous memory on huge pages in this process. */
function anonHugeKb(): number {
  const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  return m ? Number(m[1]) : 0;
}

describe('conntrack record memory', () => {
  // Skipped, not passed, where neither root nor CI: such a machine need not have built the addon.
  it.skipIf(!rootOrCi)('CI and root machines build the hugepages addon (scripts/build-native.sh, run by setup.sh), so the fast table is what they test', () => {
    expect(addonBuilt, `${HUGEPAGES_ADDON.pathname} missing`).toBe(true);
  });

  it('a table of 2 MiB or more is zeroed, 2 MiB aligned in size, and on huge pages where THP allows', () => {
    const m = recordMemory(8 * MB, hugePageMemory);
    expect(m.buffer.byteLength).toBeGreaterThanOrEqual(8 * MB);
    const words = new Int32Array(m.buffer);
    let nonZero = 0;
    for (let i = 0; i < words.length; i += 97) nonZero |= words[i]!;
    expect(nonZero).toBe(0);
    if (!addonBuilt) {
      expect(m.kind).toBe('wasm');
      return;
    }
    expect(m.kind).toBe(thpMode === 'never' ? 'mapped' : 'huge-pages');
    if (m.kind !== 'huge-pages') return;
    // Touch every page: with the advice the kernel backs the area with 2 MiB pages.
    const before = anonHugeKb();
    for (let i = 0; i < words.length; i += 1024) words[i] = 1;
    expect(anonHugeKb() - before).toBeGreaterThanOrEqual(4 * 1024);
  });

  it('a WebAssembly memory advised before its first touch is on huge pages where THP allows (records a wasm instance works on)', () => {
    // lib is ES2022 without DOM: WebAssembly exists at run time but has no value typing here.
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new wasm.Memory({ initial: (8 * MB) / 65536 + 32, maximum: (8 * MB) / 65536 + 32 });
    const advised = adviseHugePages(memory.buffer);
    if (!addonBuilt) {
      expect(advised).toBe(0);
      return;
    }
    // The 2 MiB-aligned inside of the memory: at least 3 of its 4+ huge pages, whatever its base.
    expect(advised % (2 * MB)).toBe(0);
    expect(advised).toBeGreaterThanOrEqual(6 * MB);
    expect(adviseHugePages(new ArrayBuffer(64 * 1024))).toBe(0);
    if (thpMode === 'never') return;
    const words = new Int32Array(memory.buffer);
    const before = anonHugeKb();
    for (let i = 0; i < words.length; i += 1024) words[i] = 1;
    expect(anonHugeKb() - before).toBeGreaterThanOrEqual(4 * 1024);
  });

  it('small tables, and no huge-page allocator, use a WebAssembly memory', () => {
    expect(recordMemory(64 * 1024, hugePageMemory).kind).toBe('wasm');
    expect(recordMemory(8 * MB).kind).toBe('wasm');
    expect(new ConntrackTable({ capacity: 16, memory: hugePageMemory }).memoryKind).toBe('wasm');
  });

  it('a table that grows past 2 MiB moves onto huge pages, and tracks flows like any other', () => {
    for (const hugePages of [true, false]) {
      const ct = new ConntrackTable({ capacity: 1 << 16, memory: hugePages ? hugePageMemory : undefined, seed: 7, initialSlots: 1 << 14 });
      // 1 MiB to start with: below a huge page
      expect(ct.memoryKind).toBe('wasm');
      for (let i = 0; i < 20000; i++) ct.track(0, udp('10.0.0.5', 1024 + (i % 60000), i < 10000 ? '203.0.113.1' : '203.0.113.2', 53), true, 0, AWS_DEFAULTS);
      expect(ct.size).toBe(20000);
      expect(ct.byteLength).toBeGreaterThanOrEqual(2 * MB);
      expect(ct.memoryKind === 'wasm').toBe(!hugePages || !addonBuilt);
      expect(ct.lookup(0, udp('203.0.113.2', 53, '10.0.0.5', 1024 + 19999), false, 1)).toBe(CT_ESTABLISHED);
      expect(ct.lookup(0, udp('203.0.113.1', 53, '10.0.0.5', 1024 + 42), false, 1)).toBe(CT_ESTABLISHED);
      expect(ct.lookup(0, udp('203.0.113.2', 53, '10.0.0.5', 1024 + 20000), false, 1)).toBe(CT_MISS);
    }
  });
});
