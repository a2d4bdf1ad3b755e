// The benchmark harness's smallest mode runs to the end and writes results.json with the machine
// and every part it ran. No timing assertions: these machines are shared and noisy.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npm run bench -- --quick --smoke writes a results file', () => {
  it('runs the pipeline and change-latency parts and records the machine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-smoke-'));
    try {
      const out = join(dir, 'results.json');
      const r = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--smoke', '--out', out], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const results = JSON.parse(readFileSync(out, 'utf8'));
      expect(results.machine.cores).toBeGreaterThan(0);
      expect(results.machine.node).toBe(process.version);
      expect(results.machine.command).toContain('--smoke');
      expect(results.parts.pipeline.workload.frames).toBe(5_000);
      expect(results.parts.pipeline.rows.every((row: { nsPerFrame: number }) => row.nsPerFrame > 0)).toBe(true);
      expect(results.parts.pipeline.disagreements).toBe(0);
      expect(results.parts.changeLatency.misjudged).toBe(0);
      expect(results.parts.live.skipped).toMatch(/live modes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
