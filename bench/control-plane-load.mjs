// Issue 15 item 3: packets never wait for the control plane. A live host-mode sgfw (namespaces)
// enforcing 2,500 groups × 60 rules with the API in the same process (--listen, --state-dir), while
// a flood of API calls (DryRun authorize, describe of a group and of its rules, authorize + revoke)
// runs against it; meanwhile the peer pings the host every 10 ms through sgfw's queue. Reported: the
// worst and p99.9 ping round trip (each crosses sgfw twice: the request in, the reply out), the
// share over 10 ms, and the API's latencies (p50, p99, max) by call; for --workers 1 (judging on the
// main thread, beside the API) and --workers 2 (judging on worker threads); with workers, what held
// their loops besides packets (control messages, GC, the loop's worst lateness). Needs root.
//   npm run build && node bench/control-plane-load.mjs [--seconds S] [--concurrency C] [--groups G] [--rules R] [--one-first] [--only N] [--realtime] [--profile DIR] [--trace-gc FILE] [--sgfw DIR]
// (the first run seeds the state directory, the second starts from it; --one-first swaps the order)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine } from './lib/stats.mjs';

// --sgfw DIR: run the sgfw of another built checkout (an A/B against main); the flood stays this one's
const ROOT = new URL('..', import.meta.url).pathname;
const SGFW = process.argv.includes('--sgfw') ? process.argv[process.argv.indexOf('--sgfw') + 1] : ROOT;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 20);
const CONCURRENCY = arg('concurrency', 8);
const GROUPS = arg('groups', 2500);
// 59 ingress rules and one egress rule per group: 60, and room for the flood's authorize under the
// default quota of 60 ingress rules
const RULES = arg('rules', 59);
const textArg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
// --profile DIR: the sgfw process (and its worker threads) write V8 CPU profiles there
const PROFILE_DIR = textArg('profile');
// --trace-gc FILE: sgfw runs with V8's --trace-gc (bench/lib/trace-gc.mjs: the whole process, workers too);
// its stdout (one line per GC, each isolate by its address) goes to FILE
const TRACE_GC = textArg('trace-gc');
// --realtime: sgfw runs with --realtime-workers (the packet workers in SCHED_FIFO)
const REALTIME = process.argv.includes('--realtime');
// --only N: one run, with --workers N
const ONLY = arg('only', 0);
const HOST = '10.0.7.10';
const PEER = '203.0.113.70';
const NS_HOST = 'wk-cpl-h';
const NS_PEER = 'wk-cpl-p';
const hex = (n) => n.toString(16).padStart(17, '0');
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns, cmd, args) => sh('ip', ['netns', 'exec', ns, cmd, ...args]);

function stateDocument() {
  const SecurityGroups = [];
  for (let g = 0; g < GROUPS; g++) {
    const IpPermissions = [];
    for (let r = 0; r < RULES - (g === 0 ? 1 : 0); r++) IpPermissions.push({ IpProtocol: 'tcp', FromPort: 1000 + r, ToPort: 1000 + r, IpRanges: [{ CidrIp: `10.${g % 256}.${r}.0/24` }] });
    if (g === 0) IpPermissions.push({ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: `${PEER}/32` }] });
    SecurityGroups.push({
      GroupId: `sg-${hex(g + 1)}`, GroupName: `g${g}`, Description: 'bench', VpcId: `vpc-${hex(1)}`,
      IpPermissions, IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
  }
  const NetworkInterfaces = [{
    NetworkInterfaceId: `eni-${hex(1)}`, VpcId: `vpc-${hex(1)}`, PrivateIpAddress: HOST,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: HOST }], Groups: [{ GroupId: `sg-${hex(1)}`, GroupName: 'g0' }],
  }];
  return { SecurityGroups, NetworkInterfaces };
}

function namespaces() {
  destroy();
  sh('ip', ['netns', 'add', NS_HOST]);
  sh('ip', ['netns', 'add', NS_PEER]);
  sh('ip', ['link', 'add', 'wkcplh', 'netns', NS_HOST, 'type', 'veth', 'peer', 'name', 'wkcplp', 'netns', NS_PEER]);
  inNs(NS_HOST, 'ip', ['addr', 'add', `${HOST}/24`, 'dev', 'wkcplh']);
  inNs(NS_PEER, 'ip', ['addr', 'add', `${PEER}/24`, 'dev', 'wkcplp']);
  for (const [ns, dev] of [[NS_HOST, 'wkcplh'], [NS_PEER, 'wkcplp']]) {
    inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(ns, 'ip', ['link', 'set', dev, 'up']);
  }
  inNs(NS_HOST, 'ip', ['route', 'add', '203.0.113.0/24', 'dev', 'wkcplh']);
  inNs(NS_PEER, 'ip', ['route', 'add', '10.0.7.0/24', 'dev', 'wkcplp']);
}

function destroy() {
  for (const ns of [NS_HOST, NS_PEER]) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not there
    }
  }
}

function waitForLine(child, text, ms) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no '${text}' in ${ms} ms: ${seen.slice(-2000)}`)), ms);
    child.stderr.on('data', (d) => {
      seen += d;
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${seen.slice(-2000)}`)));
  });
}

// user + system CPU (ms) of a process's main thread and of all its threads, from /proc
function threadCpuMs(pid) {
  const ticks = (file) => {
    const fields = readFileSync(file, 'utf8').replace(/^.*\) /s, '').split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  };
  const hz = 100; // USER_HZ on Linux
  return { main: (ticks(`/proc/${pid}/task/${pid}/stat`) * 1000) / hz, all: (ticks(`/proc/${pid}/stat`) * 1000) / hz };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};
const round = (x) => (x === null ? null : Math.round(x * 100) / 100);

async function run(workers, stateFile, dir, first) {
  // one state directory for both runs: the first seeds it from the state file (the slow part), the second starts from it
  const stateDir = join(dir, 'state');
  const creds = sh(process.execPath, [join(SGFW, 'bin/sgfw.js'), 'credentials', 'create', '--state-dir', stateDir]);
  const key = /AWS_ACCESS_KEY_ID=(\S+)/.exec(creds)[1];
  const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(creds)[1];
  const profile = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, `workers-${workers}`)] : [];
  const sgfw = spawn('ip', ['netns', 'exec', NS_HOST, process.execPath, ...profile, join(SGFW, 'bin/sgfw.js'), 'run', '--mode', 'host', '--workers', String(workers),
    ...(first ? ['--state', stateFile] : []), '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--queue', '61', ...(REALTIME ? ['--realtime-workers'] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: TRACE_GC ? { ...process.env, NODE_OPTIONS: `--import=${join(ROOT, 'bench/lib/trace-gc.mjs')}` } : process.env });
  let log = '';
  sgfw.stderr.on('data', (d) => (log += d));
  let out = '';
  sgfw.stdout.on('data', (d) => (out += d));
  let result;
  try {
    const ready = await waitForLine(sgfw, 'SIGINT/SIGTERM to stop', 300_000);
    const endpoint = `http://${/API on (\S+?)[;,]/.exec(ready)[1]}`;
    // the ping runs over the flood and a second past it
    const ping = spawn('ip', ['netns', 'exec', NS_PEER, 'ping', '-n', '-i', '0.01', '-W', '2', '-w', String(SECONDS + 2), HOST], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pingOut = '';
    ping.stdout.on('data', (d) => (pingOut += d));
    const pinged = new Promise((r) => ping.on('exit', r));
    await new Promise((r) => setTimeout(r, 500));
    const cpuBefore = threadCpuMs(sgfw.pid);
    const flood = spawn('ip', ['netns', 'exec', NS_HOST, process.execPath, join(ROOT, 'bench/lib/api-flood.mjs'), endpoint, key, secret, String(GROUPS), String(SECONDS), String(CONCURRENCY)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    let floodErr = '';
    flood.stderr.on('data', (d) => (floodErr += d));
    let floodOut = '';
    flood.stdout.on('data', (d) => (floodOut += d));
    const flooded = new Promise((r) => flood.on('exit', r));
    await flooded;
    const cpuAfter = threadCpuMs(sgfw.pid);
    await pinged;
    const rtts = [...pingOut.matchAll(/time=([0-9.]+) ms/g)].map((m) => Number(m[1]));
    const sent = Number(/(\d+) packets transmitted/.exec(pingOut)?.[1] ?? 0);
    if (!floodOut.trim()) throw new Error(`the flood printed nothing: ${floodErr.slice(-2000)}`);
    const { times, errors, slow } = JSON.parse(floodOut.trim().split('\n').pop());
    const api = {};
    let calls = 0;
    for (const [name, xs] of Object.entries(times)) {
      calls += xs.length;
      api[name] = { calls: xs.length, p50: round(pct(xs, 50)), p99: round(pct(xs, 99)), max: round(Math.max(...xs)) };
    }
    const all = Object.values(times).flat();
    result = {
      workers,
      ping: { sent, answered: rtts.length, maxMs: round(Math.max(...rtts)), p999Ms: round(pct(rtts, 99.9)), p50Ms: round(pct(rtts, 50)), over10ms: rtts.filter((x) => x > 10).length },
      api: { calls, callsPerSec: round(calls / SECONDS), errors, p99Ms: round(pct(all, 99)), maxMs: round(Math.max(...all)), byCall: api },
      // CPU the sgfw process spent per API call during the flood: its main thread (the API, the
      // journal, snapshots; with --workers 1 judging too) and all its threads. Unlike latencies, it
      // hardly moves with the machine's load, so it compares builds on a busy machine.
      cpuMsPerCall: { mainThread: round((cpuAfter.main - cpuBefore.main) / calls), process: round((cpuAfter.all - cpuBefore.all) / calls) },
    };
    // with --profile: the calls over 50 ms and when they started, on the profiles' clock (µs)
    if (PROFILE_DIR) {
      mkdirSync(join(PROFILE_DIR, `workers-${workers}`), { recursive: true });
      writeFileSync(join(PROFILE_DIR, `workers-${workers}`, 'slow-calls.json'), JSON.stringify(slow));
    }
  } finally {
    // (a sgfw that already exited, e.g. refusing to start, is not waited for)
    if (sgfw.exitCode === null && sgfw.signalCode === null) {
      const exited = new Promise((r) => sgfw.on('exit', r));
      sgfw.kill('SIGTERM');
      await exited;
    }
    if (TRACE_GC) writeFileSync(TRACE_GC, out);
  }
  // with workers, the stop line says what held their loops besides packets (observe/thread-pauses.ts)
  const stop = log.split('\n').filter((l) => l.includes('"event":"stop"')).map((l) => JSON.parse(l)).pop();
  if (stop?.workerPauses) result.workerPauses = Object.fromEntries(Object.entries(stop.workerPauses).map(([k, v]) => [k, round(v)]));
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-cpl-'));
try {
  namespaces();
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(stateDocument()));
  const rows = [];
  for (const workers of (ONLY > 0 ? [ONLY] : process.argv.includes('--one-first') ? [1, 2] : [2, 1])) rows.push(await run(workers, stateFile, dir, rows.length === 0));
  console.log(JSON.stringify({ machine: machine(), groups: GROUPS, rules: RULES, seconds: SECONDS, concurrency: CONCURRENCY, realtime: REALTIME, rows }, null, 2));
} finally {
  destroy();
  rmSync(dir, { recursive: true, force: true });
}
