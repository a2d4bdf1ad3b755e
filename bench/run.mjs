// `npm run bench`: every part of issue 6 that runs offline, one table each, and
// bench/results.json with the machine and the command. --quick: a run under a minute (smaller
// workloads, fewer repetitions); --smoke (with --quick): the smallest run, for the harness's test;
// --out FILE: write the JSON elsewhere.
// Run: npx tsc -p tsconfig.build.json && node bench/run.mjs [--quick] [--smoke] [--out FILE]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runPipeline } from './pipeline.mjs';
import { runReplay } from './replay-e2e.mjs';
import { runReplayWorkers } from './replay-workers.mjs';
import { runChangeLatency } from './change-latency.mjs';
import { liveSkipReason, liveTables } from './live.mjs';
import { fixed, machine, table } from './lib/stats.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const smoke = args.includes('--smoke');
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : fileURLToPath(new URL('results.json', import.meta.url));
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const results = { machine: machine(`node bench/run.mjs ${args.join(' ')}`.trim()), quick, smoke, parts: {} };
const tables = [];

function child(script, extra) {
  const r = spawnSync(process.execPath, ['--expose-gc', here(script), '--json', ...extra], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// 1. classifier (its own process: a clean heap and clean inline caches)
if (!smoke) {
  const rows = child('classifier.mjs', []);
  results.parts.classifier = rows;
  tables.push(table('Classifier lookups (median of 7 interleaved rounds; 50% IPv4 / 50% IPv6)', [
    ['rules', 'rules'], ['ns/lookup', 'compiledNs', fixed(1)], ['IPv4 ns', 'v4Ns', fixed(1)], ['IPv6 ns', 'v6Ns', fixed(1)],
    ['M lookups/s', 'lookupsPerSec', (x) => fixed(2)(x / 1e6)], ['reference ns', 'referenceNs', fixed(0)],
    ['× reference', 'ratio', fixed(0)], ['× vs 10 rules', 'growthFrom10', fixed(2)], ['build ms', 'buildMs', fixed(1)],
  ], rows));
}

// 2. pipeline
{
  const p = runPipeline({ quick: quick || smoke, smoke });
  results.parts.pipeline = p;
  const wl = p.workload;
  tables.push(table(`Pipeline: ${wl.frames.toLocaleString('en-US')} frames (${wl.megabytes.toFixed(0)} MB), ${wl.rules} rules, ${wl.groups} groups, ${wl.interfaces} interfaces, ${wl.concurrentFlows.toLocaleString('en-US')} concurrent flows (median of ${wl.passes} passes)`, [
    ['stage', 'stage'], ['ns/frame', 'nsPerFrame', fixed(0)], ['frames/s', 'framesPerSec', fixed(0)], ['frames', 'frames'], ['note', 'note'],
  ], p.rows));
}

// 3. replay end to end
if (!smoke) {
  const r = runReplay({ quick });
  results.parts.replay = r;
  tables.push(table(`Replay end to end: sgfw replay vs tcpdump -F <stateless BPF> (median of ${r.runs} runs; whole process)`, [
    ['rules', 'rules'], ['frames', 'frames'], ['sgfw ms', 'sgfwMs', fixed(0)], ['sgfw frames/s', 'sgfwFramesPerSec', fixed(0)],
    ['tcpdump ms', 'tcpdumpMs', fixed(0)], ['BPF compile ms', 'bpfCompileMs', fixed(0)], ['BPF insns', 'bpfInstructions'],
    ['tcpdump/sgfw', 'ratio', fixed(2)], ['note', 'tcpdumpNote'],
  ], r.rows));
}

// 3b. replay on worker threads
if (!smoke) {
  const w = await runReplayWorkers({ frames: quick ? 200_000 : 1_000_000, runs: quick ? 1 : 3 });
  results.parts.replayWorkers = w;
  tables.push(table(`Replay on ${w.workers} worker threads vs 1: ${w.frames.toLocaleString('en-US')} frames (median of ${w.runs}; whole process; critical path: CPU as if every thread had a core)`, [
    ['measure', 'measure'], ['1 worker ms', 'one', fixed(0)], [`${w.workers} workers ms`, 'many', fixed(0)], ['speedup', 'speedup', fixed(2)],
  ], [
    { measure: 'wall', ...w.wallMs },
    { measure: 'CPU (all threads)', ...w.cpuMs },
    { measure: 'critical path', ...w.criticalPathMs },
    { measure: `floor on ${w.cores} cores: max(busiest thread, CPU / cores)`, ...w.floorMs },
  ]));
}

// 4. conntrack
if (!smoke) {
  const c = child('conntrack.mjs', [String(quick ? 200_000 : 1_000_000)]);
  results.parts.conntrack = c;
  tables.push(table(`Conntrack: ${c.flows.toLocaleString('en-US')} concurrent flows, capacity ${c.capacity.toLocaleString('en-US')} (median of 5)`, [
    ['table', 'name'], ['inserts/s', 'insertsPerSec', fixed(0)], ['lookup hits/s', 'lookupHitsPerSec', fixed(0)], ['heap bytes/flow', 'heapBytesPerFlow', fixed(1)],
  ], [{ name: 'ConntrackTable', ...c }, { name: 'reference (Map)', ...c.reference }]));
  tables.push(table('Conntrack: 200,000 new flows into a full table', [
    ['mode', 'mode'], ['tracked', 'accepted'], ['refused', 'refused'], ['evictions', 'evictions'], ['after expiry tracked', 'afterExpiry'],
  ], Object.entries(c.full).map(([mode, f]) => ({ mode, ...f }))));
}

// 5. change latency
{
  const c = runChangeLatency({ quick: quick || smoke });
  results.parts.changeLatency = c;
  tables.push(table('Change latency: a group referenced by many rules, changed while frames are judged', [
    ['rules referencing', 'referencingRules'], ['changes', 'changes'], ['call ms (median)', 'callMsMedian', fixed(1)], ['call ms (max)', 'callMsMax', fixed(1)],
    ['rebuild ms (median)', 'rebuildMsMedian', fixed(1)], ['frames checked', 'framesJudged'], ['misjudged', 'misjudged'],
    ['probes allowed as member', 'probesAllowedWhileMember'], ['probes allowed otherwise', 'probesAllowedWhileNot'],
  ], [c]));
}

// 6. live: iperf3 through the live modes and their peers in network namespaces (about 5 minutes;
// root only; its own process, which deletes its namespaces however it ends). Full run only.
{
  const skip = quick || smoke ? 'the live modes run only in the full run (not --quick): about 5 minutes of iperf3 in network namespaces' : liveSkipReason() && `the live benchmark ${liveSkipReason()}`;
  if (skip) {
    results.parts.live = { skipped: skip };
    console.log(`Live (item 6): skipped: ${skip}.\n`);
  } else {
    const r = spawnSync(process.execPath, [here('live.mjs'), '--json'], { encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
    let live = null;
    try {
      live = r.status === 0 ? JSON.parse(r.stdout) : null;
    } catch {
      live = null;
    }
    if (live) {
      results.parts.live = live;
      tables.push(...liveTables(live));
      for (const note of live.notes ?? []) if (note.includes('FAILED') || note.includes('left out')) console.log(`Live: ${note}`);
    } else {
      // Recorded and reported; the other parts' results are still written.
      const why = `live.mjs exited ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}`;
      results.parts.live = { failed: why };
      console.log(`Live (item 6): FAILED: ${why}\n`);
      process.exitCode = 1;
    }
  }
}
results.tables = tables;
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
console.log('Fleet propagation (issue 9) is not in this run (it needs a 3-member etcd): its figures come from `npm run bench:fleet`.');
