// Issue 18 item 1, replay: `sgfw replay --workers 2` against `--workers 1` on the pipeline's
// workload (1,000 rules, 100k concurrent flows) written to a 1M-frame pcap. Whole-process wall
// times (node start-up, state load and rule compile included), interleaved, medians; the two
// summaries must be equal (the differential tests check the output files frame by frame).
//   node bench/replay-workers.mjs [--frames N] [--runs R] [--workers W]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../dist/capture/pcap-writer.js';
import { makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { median } from './lib/stats.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function runReplayWorkers({ frames = 1_000_000, runs = 5, workers = 2, rules = 1000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-replay-workers-'));
  try {
    const m = makeModel({ rules });
    const w = makeFrames(m, { frames, concurrent: Math.min(100_000, frames) });
    const capture = join(dir, 'bench.pcap');
    const writer = new PcapWriter(capture, 1, { nanosecond: true });
    for (let i = 0; i < w.count; i++) {
      const t = w.timesMs[i];
      const sec = Math.floor(t / 1000);
      writer.write({ linkType: 1, tsSec: sec, tsNanos: Math.round((t - sec * 1000) * 1e6), caplen: w.lengths[i], origLen: w.lengths[i], data: w.data, offset: w.offsets[i] });
    }
    writer.close();
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify(stateDocument(m)));
    const times = { 1: [], [workers]: [] };
    const outputs = {};
    for (let r = 0; r < runs; r++) {
      for (const n of [1, workers]) {
        const t0 = performance.now();
        const p = spawnSync(process.execPath, [join(ROOT, 'bin/sgfw.js'), 'replay', '--json', '--workers', String(n), '--state', state, capture], { encoding: 'utf8', maxBuffer: 64 << 20 });
        const ms = performance.now() - t0;
        if (p.status !== 0) throw new Error(`sgfw replay --workers ${n} exited ${p.status}: ${p.stderr}`);
        times[n].push(ms);
        const s = JSON.parse(p.stdout);
        delete s.conntrackEntries; // per-worker tables hold the same flows; the sum is compared below
        outputs[n] ??= p.stdout;
      }
    }
    const one = JSON.parse(outputs[1]);
    const many = JSON.parse(outputs[workers]);
    const same = one.allowed === many.allowed && one.dropped === many.dropped && JSON.stringify(one.byReason) === JSON.stringify(many.byReason) && JSON.stringify(one.interfaces) === JSON.stringify(many.interfaces) && one.conntrackEntries === many.conntrackEntries;
    const oneMs = median(times[1]);
    const manyMs = median(times[workers]);
    return {
      frames: w.count,
      rules,
      captureMB: statSync(capture).size / 1e6,
      runs,
      workers,
      oneWorkerMs: oneMs,
      workersMs: manyMs,
      speedup: oneMs / manyMs,
      sameSummary: same,
      oneWorkerRuns: times[1],
      workersRuns: times[workers],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(runReplayWorkers({ frames: arg('frames', 1_000_000), runs: arg('runs', 5), workers: arg('workers', 2) }), null, 2));
}
