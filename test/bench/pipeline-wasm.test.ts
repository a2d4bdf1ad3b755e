// bench/pipeline-wasm.mjs, the WebAssembly prototype of the established path (issue 18 item 4), on
// a small workload: the WAT assembles, the wasm path finishes most established frames itself, and
// it leaves the same verdicts, records, counters and table bounds as the JS path, on established
// frames alone and on the mix. Runs the built dist/ (as bench/run.mjs's smoke test). No timing
// assertions: these machines are shared and noisy.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface Part {
  finishedInWasm: number;
  verdictsDiffering: number;
  state: Record<string, number | boolean>;
}

describe('the WebAssembly established path (bench/pipeline-wasm.mjs)', () => {
  it('judges as the JS path does, leaving the same records and counters, and finishes most established frames itself', () => {
    const r = spawnSync(process.execPath, ['bench/pipeline-wasm.mjs', '--flows', '500', '--frames', '20000', '--passes', '1', '--mix-passes', '1'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { workload: { establishedFrames: number }; established: Part; mixed: Part };
    expect(out.workload.establishedFrames).toBeGreaterThan(5000);
    for (const part of [out.established, out.mixed]) {
      expect(part.verdictsDiffering).toBe(0);
      expect(part.state).toEqual({ recordWordsDiffering: 0, countersSame: true, sizeSame: true, earliestSame: true, passMinSame: true, unansweredSame: true });
    }
    // Not a path that leaves everything to JS (which would agree trivially).
    expect(out.established.finishedInWasm).toBeGreaterThan(0.9);
    expect(out.mixed.finishedInWasm).toBeGreaterThan(0.3);
  }, 150_000);
});
