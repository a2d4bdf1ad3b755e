// Issue 9 benchmark: how fast a change made through the API reaches a fleet of agents on a 3-member
// etcd (scripts/etcd-cluster.sh, client ports BASE..BASE+2, BASE = $FLEET_BENCH_ETCD_PORT or 26300),
// all in one process: one API server (EtcdStore, called directly), N simulated agents (FleetAgent +
// Dataplane, no capture), each with its own watch stream. Every agent's interface is in group
// `fleet`, whose rules reference group `peers` and a prefix list, so each change below concerns all N
// agents (the widest fan-out):
//   rule        an ingress rule of `fleet` authorized / revoked
//   membership  an interface of another host moves into / out of `peers`
//   prefix-list an entry added to / removed from the referenced prefix list
// Propagation: from the commit (the moment etcd's txn response reached the API server) until each
// agent reports the commit's revision applied (FleetAgent.onApplied, after its Dataplane swapped
// classifiers); p50/p99/max over every (change, agent) pair, and the time until the last agent.
// Sustained: membership changes at 10/s, then as fast as one API server commits them. Resync: the
// agents cut off from etcd (a TCP proxy in front of each member, in its own process:
// lib/tcp-proxy.mjs) for 5 s while 100 changes are made, without and with a compaction; time from
// reconnection until each agent is current.
// Checked, not assumed: each agent's reported revisions never go back (a decrease, or a second change
// at a revision already reported, counts as reordered); every agent reaches every change's revision
// (else lost); at the end each agent's keys equal an etcd listing of its concerned ranges and its
// revision is etcd's; the agents' reconcile repairs (keys the watch lost) are counted.
// Not run by the tests. Progress goes to stderr.
//   node bench/fleet-propagation.mjs [--quick] [--agents 10,100,1000] [--changes N] [--phases …] [--json] [--out FILE]
//   --phases propagation,sustained,resync: which to run (default all)
//   --processes K: the agents split over K processes (default 1: all in this one)
//   --quick: 10 and 100 agents, 10 changes per kind, 3 s sustained phases
//   --json: one object on stdout (machine, command, rows, checks) instead of the table
//   --out FILE: also write that object to FILE
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataplane } from '../dist/dataplane/dataplane.js';
import { FleetAgent } from '../dist/fleet/agent.js';
import { FleetView } from '../dist/fleet/agent-view.js';
import { openEtcdStore } from '../dist/fleet/etcd-store.js';
import { machine } from './lib/stats.mjs';
import { startAgentProcess } from './lib/fleet-agents.mjs';
import { startProxy } from './lib/tcp-proxy.mjs';

const args = process.argv.slice(2);
const argOf = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  if (i + 1 >= args.length || args[i + 1].startsWith('--')) throw new Error(`${name} needs a value`);
  return args[i + 1];
};
const known = new Set(['--quick', '--json', '--agents', '--changes', '--out', '--phases', '--processes']);
for (const a of args) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(' ')})`);
const quick = args.includes('--quick');
const JSON_OUT = args.includes('--json');
const OUT = argOf('--out');
const ALL_PHASES = ['propagation', 'sustained', 'resync'];
const PHASES = new Set((argOf('--phases') ?? ALL_PHASES.join(',')).split(','));
for (const ph of PHASES) if (!ALL_PHASES.includes(ph)) throw new Error(`--phases: '${ph}' is not one of ${ALL_PHASES.join(', ')}`);
const SCALES = (argOf('--agents') ?? (quick ? '10,100' : '10,100,1000')).split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`--agents: '${s}' is not a count of 1..10000`);
  return n;
});
// --processes K: the agents in K child processes of their own (bench/lib/fleet-agents.mjs), reporting
// over IPC; the API server stays here. Per-agent stats and final key checks are then not collected.
const PROCS = Number(argOf('--processes') ?? 1);
if (!Number.isInteger(PROCS) || PROCS < 1 || PROCS > 64) throw new Error(`--processes: '${argOf('--processes')}' is not 1..64`);
const NO_CHANGE = { groupIds: [], interfaceIds: [], prefixListIds: [] };
const CHANGES = Number(argOf('--changes') ?? (quick ? 10 : 30));
if (!Number.isInteger(CHANGES) || CHANGES < 1) throw new Error(`--changes: '${argOf('--changes')}' is not a positive integer`);
const SUSTAIN_S = quick ? 3 : 10;
const OUTAGE_CHANGES = 100;
const BASE_PORT = Number(process.env.FLEET_BENCH_ETCD_PORT ?? 26300);
// FLEET_BENCH_RECONCILE_AFTER_MS: the agents' reconcileAfterReconnectMs (default theirs, 1000 ms), to
// see what the reconcile after a reconnect costs a resync.
const RECONCILE_AFTER_MS = process.env.FLEET_BENCH_RECONCILE_AFTER_MS === undefined ? undefined : Number(process.env.FLEET_BENCH_RECONCILE_AFTER_MS);
// FLEET_BENCH_BACKOFF_CAP_MS: the agents' backoffCapMs (default theirs, 1000 ms): how much of a resync
// is the wait for each agent's next attempt after etcd is back.
const BACKOFF_CAP_MS = process.env.FLEET_BENCH_BACKOFF_CAP_MS === undefined ? undefined : Number(process.env.FLEET_BENCH_BACKOFF_CAP_MS);
const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'etcd-cluster.sh');

const progress = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const maxOf = (xs) => xs.reduce((m, x) => (x > m ? x : m), -Infinity);
const fmt = (ms) => (ms === Infinity ? 'never' : typeof ms !== 'number' || !Number.isFinite(ms) ? '—' : ms < 10 ? ms.toFixed(1) : ms.toFixed(0));
const round = (x) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
const prefixEnd = (p) => p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);

let clusterDir;
function stopCluster() {
  if (clusterDir === undefined) return;
  const dir = clusterDir;
  clusterDir = undefined;
  try {
    execFileSync('bash', [SCRIPT, 'stop', dir], { timeout: 60_000, stdio: 'ignore' });
  } catch {
    /* already down */
  }
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    stopCluster();
    process.exit(130);
  });
}

async function withCluster(fn) {
  clusterDir = mkdtempSync(join(tmpdir(), 'sgfw-bench-etcd-'));
  try {
    const out = execFileSync('bash', [SCRIPT, 'start', clusterDir, String(BASE_PORT)], { encoding: 'utf8', timeout: 60_000 });
    return await fn(out.trim().split(','));
  } finally {
    stopCluster();
  }
}

/**
 * Every agent's reports: when each revision was reached, and whether they ever went back. `wait(rev)`
 * resolves with the time each agent first reported `rev` or later (NaN: not within the timeout).
 */
class Tracker {
  constructor(n) {
    this.n = n;
    this.last = new Float64Array(n);
    this.lastChanged = new Float64Array(n);
    this.revs = Array.from({ length: n }, () => []);
    this.times = Array.from({ length: n }, () => []);
    this.waiters = new Set();
    this.reordered = 0;
    this.lateRepairs = 0;
    this.reorderSamples = [];
  }

  /** `repairing`: the agent is in a reconcile (a repair may change what an earlier report claimed) */
  report(i, rev, change, repairing = false) {
    const t = performance.now();
    const prev = this.last[i];
    const changed = change === undefined || change.groupIds.length + change.interfaceIds.length + change.prefixListIds.length > 0;
    if (rev < prev || (changed && rev <= this.lastChanged[i])) {
      if (repairing) this.lateRepairs++;
      else this.reordered++;
      if (this.reorderSamples.length < 5) this.reorderSamples.push(`agent ${i}: a change at ${rev} after reporting ${prev}${repairing ? ' (reconcile repair)' : ''}`);
    }
    if (changed) this.lastChanged[i] = Math.max(this.lastChanged[i], rev);
    if (rev <= prev) return;
    this.last[i] = rev;
    this.revs[i].push(rev);
    this.times[i].push(t);
    for (const w of this.waiters) {
      if (prev < w.rev && rev >= w.rev) {
        w.at[i] = t;
        if (--w.remaining === 0) w.done();
      }
    }
  }

  firstAt(i, rev) {
    const revs = this.revs[i];
    let lo = 0;
    let hi = revs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (revs[mid] >= rev) hi = mid;
      else lo = mid + 1;
    }
    return lo < revs.length ? this.times[i][lo] : NaN;
  }

  wait(rev, timeoutMs) {
    const w = { rev, at: new Float64Array(this.n).fill(NaN), remaining: 0, done: () => undefined };
    for (let i = 0; i < this.n; i++) {
      if (this.last[i] >= rev) w.at[i] = this.firstAt(i, rev);
      else w.remaining++;
    }
    if (w.remaining === 0) return Promise.resolve({ at: w.at, complete: true });
    this.waiters.add(w);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve({ at: w.at, complete: false });
      }, timeoutMs);
      w.done = () => {
        clearTimeout(timer);
        this.waiters.delete(w);
        resolve({ at: w.at, complete: true });
      };
    });
  }
}

// Agents' logs: reconcile repairs are worth seeing (the first few); the rest (lost etcd, back) is noise here.
let repairLogs = 0;
const agentLog = (m) => {
  if (/repaired/.test(m) && repairLogs++ < 5) progress(`  agent: ${m}`);
};

// FLEET_BENCH_DEBUG=1: every watch message of every agent kept, the first agent that misses a change dumped.
const DEBUG = process.env.FLEET_BENCH_DEBUG === '1';
const watchLog = new Map();
let dumped = false;
function debugWatch(agent, i) {
  const open = agent.client.watch.bind(agent.client);
  const log = [];
  watchLog.set(i, log);
  const short = (k) => k.split('/').slice(2).join('/');
  agent.client.watch = async () => {
    const stream = await open();
    const add = stream.add.bind(stream);
    stream.add = (key, end, start) => {
      const id = add(key, end, start);
      log.push(`w${id} add from ${start}: ${short(key)}`);
      return id;
    };
    const iterate = stream[Symbol.asyncIterator].bind(stream);
    stream[Symbol.asyncIterator] = async function* () {
      log.push(`open on ${stream.endpoint}`);
      try {
        for await (const m of iterate()) {
          log.push(`w${m.watchId}${m.created ? ' created' : ''}${m.progress ? ' progress' : ''} hdr ${m.headerRevision}: ${m.events.map((e) => `${e.type}@${e.modRevision} ${short(e.key)}`).join(', ')}`);
          yield m;
        }
        log.push('end');
      } catch (e) {
        log.push(`error ${e.message}`);
        throw e;
      }
    };
    return stream;
  };
}

const mb = (bytes) => Math.round(bytes / 2 ** 20);

async function runScale(endpoints, n, rows, checks) {
  const prefix = `/sgfw-bench-${n}-${Date.now()}/`;
  const store = await openEtcdStore({ endpoints, prefix, onWarning: (m) => progress(`  api server: ${m}`), service: { limits: { inboundRulesPerGroup: 200 } } });
  // The commit instant: when etcd's answer to the API server's transaction arrives.
  const commits = new Map();
  const txn = store.client.txn.bind(store.client);
  store.client.txn = async (...a) => {
    const res = await txn(...a);
    if (res.succeeded) commits.set(res.revision, performance.now());
    return res;
  };
  const call = (action, params) => store.apply(action, params);
  const group = async (name) => (await call('CreateSecurityGroup', { GroupName: name, Description: name })).GroupId;
  const fleet = await group('fleet');
  const peers = await group('peers');
  const other = await group('other');
  const pl = (await call('CreateManagedPrefixList', { PrefixListName: 'partners', AddressFamily: 'IPv4', MaxEntries: 20, Entries: [{ Cidr: '198.51.100.0/24' }] })).PrefixList;
  let plVersion = pl.Version;
  await call('AuthorizeSecurityGroupIngress', {
    GroupId: fleet,
    IpPermissions: [
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: peers }] },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: pl.PrefixListId }] },
    ],
  });
  const ext = (await call('RegisterNetworkInterface', { PrivateIpAddress: '10.200.0.1', Groups: [other], HostId: 'ext' })).NetworkInterface.NetworkInterfaceId;
  const setupStarted = performance.now();
  for (let i = 0; i < n; i++) {
    await call('RegisterNetworkInterface', { PrivateIpAddress: `10.${1 + Math.floor(i / 250)}.${(i % 250) + 1}.1`, Groups: [fleet], HostId: `host-${i}` });
  }
  const registerMs = performance.now() - setupStarted;

  const proxy = await startProxy(endpoints);
  const agents = [];
  const tracker = new Tracker(n);
  const memBefore = process.memoryUsage();
  const startAgents = performance.now();
  const children = [];
  if (PROCS > 1) {
    const per = Math.ceil(n / PROCS);
    for (let from = 0; from < n; from += per) {
      children.push(startAgentProcess({ endpoints: proxy.endpoints(), prefix, from, count: Math.min(per, n - from), onReport: (i, rev, changed) => tracker.report(i, rev, changed ? undefined : NO_CHANGE) }));
    }
    await Promise.all(children.map((c) => c.started));
  }
  for (let i = 0; i < (PROCS > 1 ? 0 : n); i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
      const at = i + k;
      const agent = new FleetAgent({ endpoints: proxy.endpoints(), prefix, hostId: `host-${at}`, statusTtlSeconds: 0, reconcileIntervalMs: 0, onLog: agentLog, ...(RECONCILE_AFTER_MS !== undefined ? { reconcileAfterReconnectMs: RECONCILE_AFTER_MS } : {}), ...(BACKOFF_CAP_MS !== undefined ? { backoffCapMs: BACKOFF_CAP_MS } : {}) });
      agents[at] = agent;
      if (DEBUG) debugWatch(agent, at);
      if (process.env.FLEET_BENCH_EXPERIMENT === 'no-reconcile-while-relisting') {
        // An experiment (not the agent's behaviour): the reconcile a reconnect schedules is skipped
        // while a relist after a compaction is under way (the relist lists every range anyway).
        const reconcile = agent.reconcile.bind(agent);
        agent.reconcile = () => (agent.relistNeeded === true ? Promise.resolve(0) : reconcile());
      }
      await agent.start();
      const dp = new Dataplane(agent.model, { conntrackCapacity: 256 });
      agent.attach(dp);
      agent.onApplied((rev, change) => tracker.report(at, rev, change, agent.reconciling === true)); // a private flag, read only
      tracker.report(at, agent.appliedRevision, undefined);
    }));
  }
  const startMs = performance.now() - startAgents;
  const mem = process.memoryUsage();
  const scale = {
    agents: n, registerMs: round(registerMs), startMs: round(startMs), proxyConnections: await proxy.connections(),
    rssMB: mb(mem.rss), heapUsedMB: mb(mem.heapUsed), rssPerAgentKB: round((mem.rss - memBefore.rss) / n / 1024),
  };
  progress(`  ${n} agents: ${registerMs.toFixed(0)} ms to register their interfaces, ${startMs.toFixed(0)} ms to start them (list + watch); ${scale.proxyConnections} TCP connections to etcd; rss ${scale.rssMB} MB, heap ${scale.heapUsedMB} MB`);

  let lost = 0;
  const lostSamples = [];
  /** Waits (10 s at most: twice the max target) for every agent to reach `rev`; per-agent ms after the commit. */
  const reach = async (rev, callStart, timeoutMs = 10_000) => {
    const { at, complete } = await tracker.wait(rev, timeoutMs);
    const t0 = commits.get(rev) ?? callStart; // no txn answer seen (a retried txn): from the call
    if (!complete) {
      const behind = [...at].filter((x) => Number.isNaN(x)).length;
      lost += behind;
      if (lostSamples.length < 5) lostSamples.push(`revision ${rev}: ${behind} agents not there after ${timeoutMs} ms`);
      if (DEBUG && !dumped) {
        dumped = true;
        const i = [...at].findIndex((x) => Number.isNaN(x));
        progress(`  DEBUG agent ${i} at ${agents[i].appliedRevision}, connected ${agents[i].connected}, stats ${JSON.stringify(agents[i].stats)}:\n    ${watchLog.get(i).join('\n    ')}`);
      }
    }
    return [...at].map((x) => x - t0);
  };
  // An agent that never got there counts as Infinity (shown as '—'): it is in the percentiles.
  const summarize = (perChange) => {
    const all = perChange.flat().map((x) => (Number.isNaN(x) ? Infinity : x));
    const lastAgent = perChange.map((xs) => maxOf(xs.map((x) => (Number.isNaN(x) ? Infinity : x))));
    return { p50: pct(all, 50), p99: pct(all, 99), max: maxOf(all), lastAgentP50: pct(lastAgent, 50), samples: all.length, missed: all.filter((x) => x === Infinity).length };
  };

  let ruleOn = false;
  let member = false;
  let entryOn = false;
  const changes = {
    rule: () => {
      ruleOn = !ruleOn;
      return call(ruleOn ? 'AuthorizeSecurityGroupIngress' : 'RevokeSecurityGroupIngress', {
        GroupId: fleet, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }],
      });
    },
    membership: () => {
      member = !member;
      return call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: ext, Groups: [member ? peers : other] });
    },
    'prefix-list': async () => {
      entryOn = !entryOn;
      const r = await call('ModifyManagedPrefixList', {
        PrefixListId: pl.PrefixListId, CurrentVersion: plVersion,
        ...(entryOn ? { AddEntries: [{ Cidr: '203.0.113.0/24' }] } : { RemoveEntries: [{ Cidr: '203.0.113.0/24' }] }),
      });
      plVersion = r.PrefixList.Version;
    },
  };
  const change = async (kind) => {
    const t = performance.now();
    await changes[kind]();
    return { rev: store.revision, callMs: performance.now() - t, t };
  };

  for (const kind of PHASES.has('propagation') ? Object.keys(changes) : []) {
    const per = [];
    const calls = [];
    for (let c = 0; c < CHANGES; c++) {
      const { rev, callMs, t } = await change(kind);
      calls.push(callMs);
      per.push(await reach(rev, t));
      await sleep(20);
    }
    const s = summarize(per);
    rows.push({ agents: n, what: `propagation: ${kind}`, ...s, callP50: pct(calls, 50), changes: CHANGES, note: '' });
    progress(`  propagation ${kind}: p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)} ms`);
  }

  // Sustained: membership changes (the widest) at 10/s, then back to back (one API server's rate).
  for (const rate of PHASES.has('sustained') ? [10, 0] : []) {
    const started = performance.now();
    const waits = [];
    const calls = [];
    while (performance.now() - started < SUSTAIN_S * 1000) {
      const { rev, callMs, t } = await change('membership');
      calls.push(callMs);
      waits.push(reach(rev, t));
      if (rate > 0) await sleep(Math.max(0, t + 1000 / rate - performance.now()));
    }
    const elapsed = (performance.now() - started) / 1000;
    const per = await Promise.all(waits);
    const s = summarize(per);
    const rateMade = waits.length / elapsed;
    rows.push({
      agents: n, what: rate > 0 ? `sustained ${rate}/s membership` : 'sustained, back to back', ...s, callP50: pct(calls, 50), changes: waits.length,
      changesPerSec: round(rateMade), note: `${rateMade.toFixed(1)} changes/s committed for ${SUSTAIN_S} s`,
    });
    progress(`  sustained ${rate || 'max'}: ${rateMade.toFixed(1)}/s, p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)} ms`);
  }

  // Resync after a 5 s outage with 100 changes, without and with a compaction.
  for (const compact of PHASES.has('resync') ? [false, true] : []) {
    const sum = (k) => agents.reduce((s, a) => s + a.stats[k], 0);
    const reconnectsBefore = sum('reconnects');
    const relistsBefore = sum('relists');
    await proxy.cut();
    const cutAt = performance.now();
    for (let c = 0; c < OUTAGE_CHANGES; c++) await changes[['rule', 'membership', 'prefix-list'][c % 3]]();
    const rev = store.revision;
    if (compact) await store.client.compact(rev);
    await sleep(Math.max(0, cutAt + 5000 - performance.now()));
    await proxy.restore();
    const t0 = performance.now();
    const { at, complete } = await tracker.wait(rev, 120_000);
    const times = [...at].map((x) => x - t0);
    const ok = times.map((x) => (Number.isNaN(x) ? Infinity : x));
    if (!complete) {
      const missing = ok.filter((x) => x === Infinity).length;
      lost += missing;
      lostSamples.push(`resync${compact ? ' (compacted)' : ''}: ${missing} agents not current after 120 s`);
    }
    const relists = sum('relists') - relistsBefore;
    rows.push({
      agents: n, what: `resync: 5 s outage, ${OUTAGE_CHANGES} changes${compact ? ', compacted' : ''}`, p50: pct(ok, 50), p99: pct(ok, 99), max: maxOf(ok),
      lastAgentP50: maxOf(ok), samples: ok.length, changes: OUTAGE_CHANGES, missed: ok.filter((x) => x === Infinity).length,
      note: `${complete ? 'all current' : 'NOT all current'}; ${sum('reconnects') - reconnectsBefore} reconnect attempts${compact ? `, ${relists} relists` : ''}; from reconnection`,
    });
    progress(`  resync${compact ? ' compacted' : ''}: p50 ${fmt(pct(ok, 50))} p99 ${fmt(pct(ok, 99))} max ${fmt(maxOf(ok))} ms${compact ? `, ${relists} relists` : ''}`);
    // The reconcile a reconnect schedules must not overlap the next phase (private fields, read only).
    const settleUntil = performance.now() + 30_000;
    await sleep(500);
    while (performance.now() < settleUntil && agents.some((a) => a.reconcileSoon !== undefined || a.reconciling === true)) await sleep(100);
  }

  // The final state: each agent's keys equal etcd's for its concerned ranges, at etcd's revision.
  const listing = await store.client.range(prefix, prefixEnd(prefix));
  await tracker.wait(store.revision, 30_000);
  let differ = 0;
  let behind = 0;
  const differSamples = [];
  if (PROCS > 1) for (let i = 0; i < n; i++) if (tracker.last[i] < store.revision) behind++;
  for (const [i, agent] of agents.entries()) {
    if (agent.appliedRevision < store.revision) behind++;
    const ranges = agent.view.concernedRanges();
    const want = new Map(listing.kvs.filter((kv) => FleetView.inRanges(kv.key, ranges)).map((kv) => [kv.key, kv.value]));
    const have = agent.view.liveKeys();
    const bad = [...want].filter(([k, v]) => have.get(k)?.value !== v).map(([k]) => k)
      .concat([...have.keys()].filter((k) => !want.has(k)));
    if (bad.length > 0) {
      differ++;
      if (differSamples.length < 5) differSamples.push(`agent ${i}: ${bad.slice(0, 3).join(', ')}`);
    }
  }
  const repairs = agents.reduce((s, a) => s + a.stats.repairs, 0);
  const check = {
    agents: n, finalRevision: listing.revision, storeRevision: store.revision, reordered: tracker.reordered, lateRepairs: tracker.lateRepairs, lost, agentsBehind: behind, agentsDiffering: differ, repairs,
    ok: tracker.reordered === 0 && lost === 0 && behind === 0 && differ === 0 && listing.revision === store.revision,
    samples: [...tracker.reorderSamples, ...lostSamples, ...differSamples],
  };
  checks.push(check);
  scale.peakProxyConnections = await proxy.peakConnections();
  // concerned ranges changed (watchers added and cancelled in place) or streams reopened for a
  // repair, and late backlogs that made an agent list again (see FleetAgent.follow)
  check.rewatches = agents.reduce((s, a) => s + a.stats.rewatches, 0);
  check.lateEvents = agents.reduce((s, a) => s + a.stats.late, 0);
  progress(`  checks: ${check.ok ? 'OK' : 'FAILED'}: ${tracker.reordered} reordered, ${tracker.lateRepairs} repairs at a revision already reported, ${lost} lost, ${behind} behind, ${differ} differing from etcd, ${repairs} reconcile repairs, ${check.rewatches} rewatches, ${check.lateEvents} late events${check.samples.length ? `; ${check.samples.join('; ')}` : ''}`);

  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(children.map((c) => c.stop()));
  await proxy.stop();
  await store.close();
  return scale;
}

const rows = [];
const checks = [];
const scales = [];
const command = `node ${process.execArgv.join(' ')} bench/fleet-propagation.mjs ${args.join(' ')}`.replace(/\s+/g, ' ').trim();
const result = { machine: machine(command), quick, processes: PROCS, experiment: process.env.FLEET_BENCH_EXPERIMENT ?? null, reconcileAfterReconnectMs: RECONCILE_AFTER_MS ?? 'agent default', etcdBasePort: BASE_PORT, changesPerKind: CHANGES, sustainSeconds: SUSTAIN_S, scales, rows, checks };
await withCluster(async (endpoints) => {
  for (const n of SCALES) {
    progress(`scale ${n}…`);
    try {
      scales.push(await runScale(endpoints, n, rows, checks));
    } catch (e) {
      progress(`  FAILED: ${e.stack ?? e}`);
      rows.push({ agents: n, what: 'FAILED', p50: NaN, p99: NaN, max: NaN, note: String(e.message ?? e) });
      checks.push({ agents: n, ok: false, samples: [String(e.message ?? e)] });
    }
  }
});
result.machine.loadAverageAfter = (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2)));
const cleanRows = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])));
result.rows = cleanRows;
const text = `${JSON.stringify(result, null, 2)}\n`;
if (OUT !== undefined) writeFileSync(OUT, text);
if (JSON_OUT) {
  process.stdout.write(text);
} else {
  console.log(`\nFleet propagation (${result.machine.date}; ${result.machine.cores} cores, load ${result.machine.loadAverage.join(' ')} before, ${result.machine.loadAverageAfter.join(' ')} after)`);
  console.log('times in ms after the commit (resync: after reconnection); p50/p99/max over every (change, agent); "last" = median time until the last agent');
  console.log('\n| agents | measurement | p50 | p99 | max | last | API call p50 | notes |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---|');
  for (const r of cleanRows) {
    console.log(`| ${r.agents} | ${r.what} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.lastAgentP50)} | ${fmt(r.callP50)} | ${[r.note || `${r.changes} changes`, r.missed ? `${r.missed} (change, agent) pairs never reached` : ''].filter(Boolean).join('; ')} |`);
  }
  console.log('\n| agents | register ms | start ms | TCP conns to etcd | rss MB | heap MB | rss KB/agent |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of scales) console.log(`| ${s.agents} | ${fmt(s.registerMs)} | ${fmt(s.startMs)} | ${s.proxyConnections} (peak ${s.peakProxyConnections}) | ${s.rssMB} | ${s.heapUsedMB} | ${fmt(s.rssPerAgentKB)} |`);
  console.log('\nChecks (reordered: a reported revision going back; lost: an agent not reaching a change; differing: final keys ≠ etcd):');
  for (const c of checks) console.log(`  ${c.agents} agents: ${c.ok ? 'OK' : 'FAILED'} — reordered ${c.reordered ?? '?'} (+${c.lateRepairs ?? '?'} repairs at a revision already reported), lost ${c.lost ?? '?'}, behind ${c.agentsBehind ?? '?'}, differing ${c.agentsDiffering ?? '?'}, repairs ${c.repairs ?? '?'}, rewatches ${c.rewatches ?? '?'}, late events ${c.lateEvents ?? '?'}${c.samples?.length ? `; ${c.samples.join('; ')}` : ''}`);
}
process.exit(checks.every((c) => c.ok) ? 0 : 1);
