// Issue 18 item 1, replay: `sgfw replay --workers 2` against `--workers 1` on the pipeline's
// workload (1,000 rules, 100k concurrent flows) written to a 1M-frame pcap. Whole-process wall
// times (node start-up, state load and rule compile included), interleaved, medians; the two
// summaries must be equal (the differential tests check the output files frame by frame).
// On a loaded machine the wall times say little (threads wait for a core), so each run also gives
// its CPU time (user + system, /usr/bin/time) and, from each worker thread's CPU time (the
// summary's `workers`), the critical path: the process's CPU less the workers' plus the busiest
// worker's, what the run takes on idle cores (an upper bound: the workers now start while the main
// thread loads the state). One worker's critical path is its process CPU. From the workers' own
// clocks: when the last began judging and was done (ms after the process started), and the CPU of
// the slowest one's start (thread, modules), Dataplane build and loop; `load` is the load average at the end.
// Where the CPU goes, per thread: the main thread's (its /proc schedstat, polled every 10 ms, so
// ±10 ms), each worker's (its own), and the rest: V8's platform threads (TurboFan compiling in the
// background, concurrent GC) and libuv's. On C cores a run takes no less wall time than its
// busiest thread's CPU, nor than all its CPU over C: `floorMs` is the larger, for each run, and
// `floorMs.speedup` their ratio, what --workers N can give on this machine with this much work, quiet
// (an upper bound: the many-worker run's threads also wait for one another at start). One worker's
// floor is its main thread (the judging one), which a quiet run's wall time is close to.
//   node bench/replay-workers.mjs [--frames N] [--runs R] [--workers W] [--sgfw DIR]
// --sgfw DIR: replay with another built checkout's bin/sgfw.js (A/B: run once per checkout, alternating).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../dist/capture/pcap-writer.js';
import { makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { median } from './lib/stats.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The main thread's CPU time (ms) of `time`'s child (node), or -1 while there is none. */
function mainThreadCpuMs(timePid) {
  try {
    const child = readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(' ')[0];
    if (!child) return -1;
    return Number(readFileSync(`/proc/${child}/task/${child}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return -1;
  }
}

/** Runs `/usr/bin/time ARGS` (node bin/sgfw.js …), following node's main thread's CPU; resolves with stdout, stderr, status, ms, mainMs. */
function runTimed(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let mainMs = -1;
    p.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      const ms = mainThreadCpuMs(p.pid);
      if (ms > mainMs) mainMs = ms;
    }, 10);
    p.on('error', reject);
    p.on('close', (status) => {
      clearInterval(poll);
      resolve({ stdout, stderr, status, ms: performance.now() - t0, mainMs });
    });
  });
}

export async function runReplayWorkers({ frames = 1_000_000, runs = 5, workers = 2, rules = 1000, sgfw = ROOT } = {}) {
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
        const timing = join(dir, 'time.txt');
        const p = await runTimed(['-o', timing, '-f', '%U %S', process.execPath, join(sgfw, 'bin/sgfw.js'), 'replay', '--json', '--workers', String(n), '--state', state, capture]);
        const ms = p.ms;
        if (p.status !== 0) throw new Error(`sgfw replay --workers ${n} exited ${p.status}: ${p.stderr}`);
        const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        const cpuMs = (user + sys) * 1000;
        const s = JSON.parse(p.stdout);
        const threads = s.workers ?? [];
        const critical = threads.length ? cpuMs - threads.reduce((a, t) => a + t.cpuMs, 0) + Math.max(...threads.map((t) => t.cpuMs)) : cpuMs;
        const most = (k) => Math.max(...threads.map((t) => t[k]));
        const timeline = threads.length ? { readyMs: most('readyMs'), doneMs: most('doneMs'), startCpuMs: most('startCpuMs'), buildCpuMs: most('buildCpuMs'), loopCpuMs: most('loopCpuMs') } : {};
        const workersMs = threads.reduce((a, t) => a + t.cpuMs, 0);
        // with one worker the main thread judges; the rest is V8's and libuv's threads
        const busiest = Math.max(p.mainMs, ...threads.map((t) => t.cpuMs));
        const floor = Math.max(busiest, cpuMs / availableParallelism());
        times[n].push({ ms, cpuMs, critical, mainMs: p.mainMs, workersMs, otherThreadsMs: cpuMs - p.mainMs - workersMs, floor, ...timeline });
        outputs[n] ??= p.stdout;
      }
    }
    const one = JSON.parse(outputs[1]);
    const many = JSON.parse(outputs[workers]);
    const threadsOfMany = many.workers;
    delete many.workers;
    const same = one.allowed === many.allowed && one.dropped === many.dropped && JSON.stringify(one.byReason) === JSON.stringify(many.byReason) && JSON.stringify(one.interfaces) === JSON.stringify(many.interfaces) && one.conntrackEntries === many.conntrackEntries;
    const med = (n, k) => median(times[n].map((t) => t[k]));
    return {
      frames: w.count,
      rules,
      captureMB: statSync(capture).size / 1e6,
      runs,
      workers,
      wallMs: { one: med(1, 'ms'), many: med(workers, 'ms'), speedup: med(1, 'ms') / med(workers, 'ms') },
      cpuMs: { one: med(1, 'cpuMs'), many: med(workers, 'cpuMs') },
      criticalPathMs: { one: med(1, 'critical'), many: med(workers, 'critical'), speedup: med(1, 'critical') / med(workers, 'critical') },
      // per thread (medians): the main thread, the workers together, V8's background threads (JIT, GC) and libuv's
      threadCpuMs: {
        one: { main: med(1, 'mainMs'), otherThreads: med(1, 'otherThreadsMs') },
        many: { main: med(workers, 'mainMs'), workers: med(workers, 'workersMs'), otherThreads: med(workers, 'otherThreadsMs') },
      },
      // no run takes less than max(its busiest thread's CPU, its CPU / cores) on `cores` cores (see the header)
      cores: availableParallelism(),
      floorMs: { one: med(1, 'floor'), many: med(workers, 'floor'), speedup: med(1, 'floor') / med(workers, 'floor') },
      // the last worker to begin judging and the last to be done (ms after the process started), the busiest loop's CPU
      // and the slowest worker's CPU to start (thread, modules), to build its Dataplane, and for its loop
      workerTimeline: { readyMs: med(workers, 'readyMs'), doneMs: med(workers, 'doneMs'), startCpuMs: med(workers, 'startCpuMs'), buildCpuMs: med(workers, 'buildCpuMs'), loopCpuMs: med(workers, 'loopCpuMs') },
      workerThreads: threadsOfMany,
      load: loadavg().map((x) => Math.round(x * 10) / 10),
      sameSummary: same,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--sgfw');
  const sgfw = at >= 0 ? process.argv[at + 1] : ROOT;
  console.log(JSON.stringify(await runReplayWorkers({ frames: arg('frames', 1_000_000), runs: arg('runs', 5), workers: arg('workers', 2), sgfw }), null, 2));
}
