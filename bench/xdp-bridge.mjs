// Issue 18 item 6: the AF_XDP prototype bridge (bench/lib/xdp-bridge.mjs, native-bindings/afxdp)
// beside inline mode's AF_PACKET bridge and the kernel bridge, in one run on the same namespaces.
//
// Outside host ⇄ veth ⇄ [middle namespace: the bridge under test] ⇄ veth ⇄ inside host, as in
// bench/live.mjs (same ~1,000 rules, same addresses, offloads off so 1500-byte frames are real).
// Filters, one at a time, each started afresh every round in a rotated order:
//   - AF_XDP bridge: sgfw's InlineBridge + Dataplane judging the batches of two AF_XDP sockets
//     (native XDP on the veths, copy-mode sockets on one shared UMEM, one TX wakeup per batch);
//   - AF_XDP bridge judging nothing (its ceiling);
//   - sgfw inline (afpacket): `sgfw run --mode inline --capture afpacket`, the product path;
//   - AF_PACKET bridge judging nothing (bench/lib/afpacket-bridge.mjs, its ceiling);
//   - kernel bridge + br_netfilter + nftables inet forward chain with conntrack, same rules.
// TCP: iperf3 -t S (Gbit/s); UDP: iperf3 -u -l 18 -b 0 (64-byte frames; frames/s received). Per
// filter: frames it forwarded per second, its own CPU per frame, and the whole machine's busy CPU
// per frame (the kernel bridge does its work in softirq, charged to nobody in particular; that
// column counts every tenant of the machine, so it means something only on a quiet one).
// `--perf DIR`: `perf record -g` of each user-space bridge during its first TCP test, and where its
// time went (the send syscall, the receiving host's stack run inside it, user space).
// (needs perf: Debian linux-perf; not in setup.sh, as nothing else uses it).
// Namespaces `xp-*-PID`, deleted at the end, on errors and on SIGINT/SIGTERM. Root only.
//
// Run: npm run build && bash scripts/build-native.sh && node bench/xdp-bridge.mjs [--seconds S] [--sessions N]
//        [--only LABEL-PART,…] [--perf DIR] [--json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, table } from './lib/stats.mjs';
import { cleanupOnSignal, inNs, noOffload, Processes, processCpuSeconds, sh, systemCpuSeconds, waitForText } from './lib/netns.mjs';
import { makeRules, nftRuleset, stateDocument } from './live.mjs';
import { xdpUnavailable } from './lib/xdp-bridge.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SGFW = join(ROOT, 'bin', 'sgfw.js');
const XDP_BRIDGE = join(ROOT, 'bench', 'lib', 'xdp-bridge.mjs');
const AFPACKET_BRIDGE = join(ROOT, 'bench', 'lib', 'afpacket-bridge.mjs');
const OUTSIDE_HOST = '10.77.1.2';
const INSIDE_HOST = '10.77.2.2';
const PORT = 5201;

export const XDP_SGFW = 'AF_XDP bridge, sgfw judging';
export const XDP_CEILING = 'AF_XDP bridge, judging nothing';
export const AFPACKET_SGFW = 'sgfw inline (afpacket)';
export const AFPACKET_CEILING = 'AF_PACKET bridge, judging nothing';
export const KERNEL = 'kernel bridge + nftables';

// ---- namespaces (prefix xp) ---------------------------------------------------------------------

function addNs(name) {
  if (!name.startsWith('xp-')) throw new Error(`namespace ${name} does not start with xp-`);
  delNs(name);
  sh('ip', ['netns', 'add', name]);
  inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
}

function delNs(name) {
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    // not there
  }
}

function createNet(tag) {
  const n = { outside: `xp-o-${tag}`, middle: `xp-m-${tag}`, inside: `xp-i-${tag}`, devOutside: `xpo${tag}`, devInside: `xpi${tag}`, middleOutside: `xpmo${tag}`, middleInside: `xpmi${tag}` };
  destroyNet(n);
  for (const ns of [n.outside, n.middle, n.inside]) addNs(ns);
  for (const [a, da, db] of [[n.outside, n.devOutside, n.middleOutside], [n.inside, n.devInside, n.middleInside]]) {
    sh('ip', ['link', 'add', da, 'netns', a, 'type', 'veth', 'peer', 'name', db, 'netns', n.middle]);
    inNs(a, 'ip', ['link', 'set', da, 'up']);
    inNs(n.middle, 'ip', ['link', 'set', db, 'up']);
  }
  for (const [ns, dev, addr, peerNet] of [[n.outside, n.devOutside, OUTSIDE_HOST, '10.77.2.0/24'], [n.inside, n.devInside, INSIDE_HOST, '10.77.1.0/24']]) {
    inNs(ns, 'ip', ['addr', 'add', `${addr}/24`, 'dev', dev]);
    inNs(ns, 'ip', ['route', 'add', peerNet, 'dev', dev]);
    noOffload(ns, dev);
  }
  for (const dev of [n.middleOutside, n.middleInside]) {
    inNs(n.middle, 'sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    inNs(n.middle, 'ip', ['link', 'set', dev, 'promisc', 'on']);
    noOffload(n.middle, dev);
  }
  return n;
}

function destroyNet(n) {
  for (const ns of [n.outside, n.middle, n.inside]) delNs(ns);
}

// ---- filters ------------------------------------------------------------------------------------

function filters(n, procs, stateFile) {
  const proc = (label, args) => {
    let child = null;
    return {
      label,
      get pid() {
        return child?.pid ?? 0;
      },
      async start() {
        child = procs.spawn(n.middle, process.execPath, args, { timeoutMs: 900_000 });
        await waitForText(child, 'stderr', 'SIGINT/SIGTERM to stop', 30_000);
      },
      async stop() {
        const r = await procs.stop(child, 'SIGTERM', 10_000);
        child = null;
        const lines = r.stderr.split('\n').filter((l) => /SIG\w+: /.test(l) || l.includes('"event":"stop"'));
        return (lines.pop() ?? `exit ${r.code ?? r.signal}: ${r.stderr.slice(-300)}`).slice(0, 400);
      },
    };
  };
  const kernel = {
    label: KERNEL,
    pid: 0,
    async start() {
      const m = n.middle;
      inNs(m, 'ip', ['link', 'add', 'xpbr', 'type', 'bridge']);
      inNs(m, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=1']);
      inNs(m, 'sysctl', ['-qw', 'net.ipv6.conf.xpbr.disable_ipv6=1']);
      for (const dev of [n.middleOutside, n.middleInside]) inNs(m, 'ip', ['link', 'set', dev, 'master', 'xpbr']);
      inNs(m, 'ip', ['link', 'set', 'xpbr', 'up']);
      inNs(m, 'nft', ['-f', '-'], { input: nftRuleset(makeRules()) });
    },
    async stop() {
      inNs(n.middle, 'nft', ['flush', 'ruleset']);
      inNs(n.middle, 'ip', ['link', 'del', 'xpbr']);
      return '';
    },
  };
  return [
    proc(XDP_SGFW, [XDP_BRIDGE, n.middleInside, n.middleOutside, '--state', stateFile]),
    proc(XDP_CEILING, [XDP_BRIDGE, n.middleInside, n.middleOutside, '--judge-nothing']),
    proc(AFPACKET_SGFW, [SGFW, 'run', '--mode', 'inline', '--inside', n.middleInside, '--outside', n.middleOutside, '--state', stateFile, '--capture', 'afpacket']),
    proc(AFPACKET_CEILING, [AFPACKET_BRIDGE, n.middleInside, n.middleOutside]),
    kernel,
  ];
}

// ---- traffic ------------------------------------------------------------------------------------

async function warmUp(procs, n) {
  for (let i = 0; i < 8; i++) {
    const r = await procs.run(n.outside, 'ping', ['-n', '-c', '1', '-W', '1', INSIDE_HOST], { timeoutMs: 5000 });
    if (r.code === 0) return;
  }
  throw new Error(`warm-up: no ping answer from ${INSIDE_HOST}`);
}

/** Frames the bridge sent out of its two interfaces. */
function bridgeTx(n) {
  const links = JSON.parse(inNs(n.middle, 'ip', ['-s', '-j', 'link', 'show']));
  return links.filter((l) => l.ifname === n.middleOutside || l.ifname === n.middleInside).reduce((a, l) => a + l.stats64.tx.packets, 0);
}

async function iperf(procs, n, { kind, seconds, filterPid, perfFile }) {
  const server = procs.spawn(n.inside, 'iperf3', ['-s', '-1', '-B', INSIDE_HOST, '-p', String(PORT), '--forceflush'], { timeoutMs: (seconds + 20) * 1000 });
  await waitForText(server, 'stdout', 'Server listening', 5000);
  const args = ['-c', INSIDE_HOST, '-p', String(PORT), '-t', String(seconds), '-J', '--connect-timeout', '3000'];
  if (kind === 'udp') args.push('-u', '-l', '18', '-b', '0');
  const tx0 = bridgeTx(n);
  const sys0 = systemCpuSeconds();
  const f0 = filterPid ? processCpuSeconds(filterPid) : 0;
  let perf = null;
  if (perfFile && filterPid) {
    // Started first (it takes a moment to attach), recording through the test's middle.
    perf = procs.run(n.middle, 'perf', ['record', '-g', '-o', perfFile, '-p', String(filterPid), '--', 'sleep', String(seconds)], { timeoutMs: (seconds + 15) * 1000 });
    await new Promise((r) => setTimeout(r, 1000));
  }
  const t0 = performance.now();
  const client = procs.run(n.outside, 'iperf3', args, { timeoutMs: (seconds + 15) * 1000 });
  const r = await client;
  if (perf) await perf;
  const wall = (performance.now() - t0) / 1000;
  const sys1 = systemCpuSeconds();
  const f1 = filterPid ? processCpuSeconds(filterPid) : 0;
  const frames = bridgeTx(n) - tx0;
  await procs.stop(server, 'SIGKILL', 1000);
  let j;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    throw new Error(`iperf3 ${kind}: no JSON (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.slice(0, 300)}`);
  }
  if (j.error) throw new Error(`iperf3 ${kind}: ${j.error}`);
  const total = (s) => s.user + s.system + s.softirq + s.idle + s.steal;
  const busyCoreSeconds = total(sys1) - total(sys0) - (sys1.idle - sys0.idle);
  const cpu = {
    framesPerSecAtBridge: frames / wall,
    filterCpuPct: filterPid ? (100 * (f1 - f0)) / wall : null,
    filterUsPerFrame: filterPid ? (1e6 * (f1 - f0)) / Math.max(1, frames) : null,
    machineUsPerFrame: (1e6 * busyCoreSeconds) / Math.max(1, frames),
  };
  const rx = j.end.sum_received;
  if (kind === 'tcp') return { gbps: rx.bits_per_second / 1e9, retransmits: j.end.sum_sent.retransmits ?? 0, ...cpu };
  return { framesPerSec: (rx.packets - rx.lost_packets) / rx.seconds, lossPct: (100 * rx.lost_packets) / Math.max(1, rx.packets), ...cpu };
}

/** Where a bridge's sampled time went: shares of its perf samples (children), by the frames that matter. */
function perfSplit(file) {
  const out = execFileSync('perf', ['report', '-i', file, '--stdio', '--children', '--sort', 'sym', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  const share = (sym) => {
    const m = new RegExp(`^\\s+([\\d.]+)%\\s+[\\d.]+%\\s+\\[k\\] ${sym}$`, 'm').exec(out);
    return m ? Number(m[1]) : 0;
  };
  const dsos = execFileSync('perf', ['report', '-i', file, '--stdio', '--no-children', '--sort', 'dso', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  const kernel = /([\d.]+)%\s+\[kernel\.kallsyms\]/.exec(dsos);
  return {
    sendSyscallPct: Math.max(share('__sys_sendmmsg'), share('__sys_sendto')),
    receiverStackPct: share('handle_softirqs'),
    skbAllocPct: share('sock_alloc_send_pskb'),
    userPct: kernel ? 100 - Number(kernel[1]) : null,
    pollPct: share('do_epoll_wait'),
  };
}

// ---- the run ------------------------------------------------------------------------------------

const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

export async function runXdpBridge({ seconds = 3, sessions = 3, only = null, perfDir = null, log = (s) => console.error(s) } = {}) {
  const why = xdpUnavailable();
  if (why) return { skipped: why };
  for (const tool of ['iperf3', 'nft', 'ethtool', 'ping', ...(perfDir ? ['perf'] : [])]) sh('sh', ['-c', `command -v ${tool}`]);
  const dir = mkdtempSync(join(tmpdir(), 'xp-bench-'));
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(stateDocument(makeRules())));
  const procs = new Processes();
  let net = null;
  const cleanup = () => {
    procs.killAll();
    if (net) destroyNet(net);
    rmSync(dir, { recursive: true, force: true });
  };
  const release = cleanupOnSignal(cleanup);
  const samples = new Map();
  const notes = [];
  const perf = [];
  const loadBefore = loadavg();
  const started = performance.now();
  try {
    net = createNet(String(process.pid % 100000));
    let fs = filters(net, procs, stateFile);
    if (only) fs = fs.filter((f) => only.split(',').some((o) => f.label.includes(o)));
    for (let round = 0; round < sessions; round++) {
      for (const f of rotate(fs, round)) {
        if (f.failed) continue;
        log(`xdp-bridge bench: round ${round + 1}/${sessions}: ${f.label} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
        try {
          await f.start();
        } catch (e) {
          f.failed = true;
          notes.push(`${f.label}: left out, it did not start: ${e.message.slice(0, 300)}`);
          await f.stop().catch(() => '');
          continue;
        }
        try {
          await warmUp(procs, net);
          for (const kind of ['tcp', 'udp']) {
            let perfFile = null;
            if (perfDir && round === 0 && kind === 'tcp' && f.pid) {
              mkdirSync(perfDir, { recursive: true });
              perfFile = join(perfDir, `${f.label.replace(/[^a-z0-9]+/gi, '-')}.perf.data`);
            }
            const r = await iperf(procs, net, { kind, seconds, filterPid: f.pid, perfFile });
            if (perfFile) perf.push({ filter: f.label, file: perfFile, ...perfSplit(perfFile) });
            const key = `${f.label}/${kind}`;
            if (!samples.has(key)) samples.set(key, []);
            samples.get(key).push(r);
          }
        } catch (e) {
          notes.push(`${f.label}, round ${round + 1}: FAILED: ${e.message.slice(0, 300)}`);
        } finally {
          const s = await f.stop();
          if (s) notes.push(`${f.label}, round ${round + 1}: ${s}`);
        }
      }
    }
  } finally {
    cleanup();
    release();
  }
  const rows = [];
  for (const [key, rs] of samples) {
    const [filter, kind] = key.split('/');
    const m = (k) => (rs[0][k] === null || rs[0][k] === undefined ? null : median(rs.map((r) => r[k])));
    rows.push({
      filter, kind, runs: rs.length, gbps: m('gbps'), retransmits: m('retransmits'), framesPerSec: m('framesPerSec'), lossPct: m('lossPct'),
      framesPerSecAtBridge: m('framesPerSecAtBridge'), filterCpuPct: m('filterCpuPct'), filterUsPerFrame: m('filterUsPerFrame'), machineUsPerFrame: m('machineUsPerFrame'),
    });
  }
  const fig = (label, kind) => {
    const r = rows.find((x) => x.filter === label && x.kind === kind);
    return r ? (kind === 'tcp' ? r.gbps : r.framesPerSec) : NaN;
  };
  const ratios = [];
  for (const [a, b] of [[XDP_SGFW, AFPACKET_SGFW], [XDP_SGFW, KERNEL], [AFPACKET_SGFW, KERNEL], [XDP_CEILING, AFPACKET_CEILING], [XDP_SGFW, XDP_CEILING], [AFPACKET_SGFW, AFPACKET_CEILING]]) {
    const row = { comparison: `${a} / ${b}`, tcp: fig(a, 'tcp') / fig(b, 'tcp'), udp: fig(a, 'udp') / fig(b, 'udp') };
    if (Number.isFinite(row.tcp) || Number.isFinite(row.udp)) ratios.push(row);
  }
  return {
    settings: { seconds, sessions, rules: makeRules().length, elapsedSec: (performance.now() - started) / 1000, loadAverageBefore: loadBefore.map((x) => Number(x.toFixed(2))), loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))), date: new Date().toISOString() },
    rows, ratios, perf, notes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (process.getuid?.() !== 0) {
    console.error('xdp-bridge bench: needs root (namespaces, XDP, AF_XDP, AF_PACKET)');
    process.exit(3);
  }
  const r = await runXdpBridge({ seconds: Number(value('--seconds') ?? 3), sessions: Number(value('--sessions') ?? 3), only: value('--only') ?? null, perfDir: value('--perf') ?? null });
  if (r.skipped) {
    console.error(`xdp-bridge bench: skipped: ${r.skipped}`);
    process.exit(3);
  }
  if (args.includes('--json')) console.log(JSON.stringify(r));
  else {
    const opt = (d) => (x) => (x === null || x === undefined || Number.isNaN(x) ? '' : fixed(d)(x));
    table(`AF_XDP prototype: iperf3 through each bridge, ${r.settings.rules} rules (median of ${r.settings.sessions} rounds of ${r.settings.seconds} s)`, [
      ['filter', 'filter'], ['test', 'kind'], ['runs', 'runs'], ['TCP Gbit/s', 'gbps', opt(2)], ['TCP retrans', 'retransmits', opt(0)], ['UDP rx frames/s', 'framesPerSec', opt(0)],
      ['UDP loss %', 'lossPct', opt(1)], ['frames/s at bridge', 'framesPerSecAtBridge', opt(0)], ['bridge CPU %', 'filterCpuPct', opt(0)],
      ['bridge CPU µs/frame', 'filterUsPerFrame', opt(2)], ['machine CPU µs/frame', 'machineUsPerFrame', opt(2)],
    ], r.rows);
    table('AF_XDP prototype: ratios (TCP Gbit/s; UDP frames/s received)', [['comparison', 'comparison'], ['TCP', 'tcp', opt(2)], ['UDP', 'udp', opt(2)]], r.ratios);
    if (r.perf.length) {
      table('Where each bridge\'s time went (perf, first TCP test; % of its samples)', [
        ['filter', 'filter'], ['send syscall', 'sendSyscallPct', opt(1)], ['receiver stack inside it (softirq)', 'receiverStackPct', opt(1)],
        ['skb alloc for send', 'skbAllocPct', opt(1)], ['epoll wait', 'pollPct', opt(1)], ['user space', 'userPct', opt(1)],
      ], r.perf);
    }
    for (const note of r.notes) console.log(note);
    console.log(`${r.settings.elapsedSec.toFixed(0)} s; load average ${r.settings.loadAverageBefore.join(' ')} before, ${r.settings.loadAverageAfter.join(' ')} after; ${r.settings.date}`);
  }
}
