// The record of what a live mode enforced (state/enforced-mark.ts) follows the store without
// rewriting itself after every call: under a stream of acknowledged entries it is written at most
// every 100 ms, never ahead of what was noted, and closing writes the last position at once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const writes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/state/durable-fs.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/state/durable-fs.js')>();
  return {
    ...real,
    writeFileAtomic: (...args: Parameters<typeof real.writeFileAtomic>) => {
      writes.count++;
      return real.writeFileAtomic(...args);
    },
  };
});
const { EnforcedMark, enforcedMarkFile } = await import('../../src/state/enforced-mark.js');

const root = mkdtempSync(join(tmpdir(), 'sgfw-mark-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the enforced mark under a stream of acknowledged entries', () => {
  it('is written at most every 100 ms, never past the last position noted, and closing writes the last one', async () => {
    const dir = join(root, 'state');
    const mark = new EnforcedMark(dir, (m) => {
      throw new Error(m);
    });
    const read = () => JSON.parse(readFileSync(enforcedMarkFile(dir), 'utf8')) as { seq: number };
    const started = performance.now();
    let noted = 0;
    while (performance.now() - started < 350) {
      mark.note({ dir: 'd1', seq: ++noted, chain: 'c' });
      await new Promise((r) => setTimeout(r, 2));
      if (writes.count > 0 && noted % 10 === 0) {
        // whatever it says is a position that was noted
        const seen = read().seq;
        expect(seen).toBeGreaterThanOrEqual(1);
        expect(seen).toBeLessThanOrEqual(noted);
      }
    }
    const elapsed = performance.now() - started;
    await mark.flush();
    expect(read()).toEqual({ format: 'sgfw-enforced/1', dir: 'd1', seq: noted, chain: 'c' });
    // one write per 100 ms started, plus the first and the closing one
    expect(noted).toBeGreaterThan(20);
    expect(writes.count).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 3);
  });
});
