// bench/inline-idle-rtt.mjs: pings cross sgfw inline (with and without real-time workers) and the kernel
// bridge in namespaces, each answered, and the namespaces are gone afterwards. No timing assertions.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);

describe.runIf(enabled)('the idle round trip benchmark', () => {
  it('pings through each filter, gets every answer, and deletes its namespaces', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'inline-idle-rtt.mjs'), '--rounds', '1', '--pings', '10'], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, SGBL_NS_PREFIX: 'irtt' },
    });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1);
    expect(rows.map((l) => l.slice(0, 40).trim())).toEqual(['sgfw --workers 2', 'sgfw --workers 2 --realtime-workers', 'kernel bridge + nftables']);
    for (const row of rows) {
      // min / avg / max in ms, all answered (a filter that dropped the pings would print —)
      const [min, avg, max] = row.slice(40).trim().split(' / ').map(Number);
      expect(min).toBeGreaterThan(0);
      expect(avg).toBeGreaterThanOrEqual(min!);
      expect(max).toBeGreaterThanOrEqual(avg!);
    }
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(new RegExp(`^irtt-r[omi]-${r.pid! % 100000}\\b`, 'm'));
  }, 150_000);
});
