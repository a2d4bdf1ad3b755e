// Issue 6 item 6: the live modes in network namespaces, with iperf3, against what a user would run
// instead, all in one run so the ratios are fair on a shared machine.
//
// Inline: outside host ⇄ veth ⇄ [middle namespace: the bridge under test, no IP addresses on its two
// interfaces] ⇄ veth ⇄ inside host. The bridges, one at a time on the same namespaces:
//   - sgfw: `sgfw run --mode inline` with ~1,000 rules (5 groups × 200 on the inside host's ENI),
//     the iperf3 flows allowed by the last rules and tracked; with `--capture afpacket` (a TPACKET_V3
//     ring, batches, sendmmsg) and `--capture pcap` (libpcap through `cap`, frame by frame); and
//     `--capture nfqueue` (the kernel bridge sgfw sets up forwards; br_netfilter queues each IP
//     packet to sgfw's workers, headers only, GSO super-packets whole);
//   - the ceilings of the two capture methods, judging nothing: bench/lib/afpacket-bridge.mjs (the
//     same AfPacketSocket, every batch sent on whole) and bench/lib/cap-bridge.mjs (the same `cap`
//     capture and pcap_sendpacket per frame);
//   - kernel bridge: a Linux bridge with br_netfilter, so bridged IPv4 goes through an nftables
//     `inet` forward chain with conntrack (`ct state established,related accept`, then the same
//     rules, policy drop). The bridge family has no conntrack on this kernel (CONFIG_NF_CONNTRACK_BRIDGE
//     is not set: `ct` in a bridge table is refused) but br_netfilter is built in and works inside a
//     namespace, so the kernel does the very same job as sgfw: a bump in the wire between the same
//     two hosts, same addresses, nothing routed.
// Host: client ⇄ veth ⇄ host (the iperf3 server) with `sgfw run --mode host` (NFQUEUE), the same
// rules in iptables (conntrack ESTABLISHED,RELATED first), and no filter.
//
// TCP: `iperf3 -t T` (1500-byte frames: offloads off on every veth, so no path moves 64 KB
// super-packets). UDP: `iperf3 -u -l 18 -b 0` (64-byte frames on the wire, as fast as the client
// can send): frames per second received by the server, and the loss. Each figure is the median of
// `sessions` rounds (5 × 3 s by default, about 5 minutes in all: with 3 the TCP ratios moved ±10% between runs); every round starts each filter
// afresh, in a rotated order. Namespaces are `sgbl-*-PID`, deleted at the end, on errors and on
// SIGINT/SIGTERM. Root only.
//
// Run: npx tsc -p tsconfig.build.json && node bench/live.mjs [--quick | --smoke] [--json]
//        [--seconds S] [--sessions N] [--only LABEL-PART,… | --only 'LABEL, PART|…'] [--offloads] [--rings 64x262144,16x1048576/10]
//        [--offloads-on]  (this build's inline afpacket rows, its ceiling (with vnet headers) and the kernel bridge again, ', offloads on':
//                          every veth at its defaults, so the hosts send 64 KB TSO super-frames with checksums left to complete)
//        [--build LABEL=PATH/bin/sgfw.js]…  (another sgfw build's afpacket inline and host mode, side by side; its nfqueue inline rows with each --workers count)
//        [--host-variant 'LABEL=FLAGS']…  (one more host-mode sgfw row with FLAGS, e.g. 'maxlen 8192=--queue-maxlen 8192 --workers 1';
//                                          --nice=N among them: that row's sgfw at niceness N)
//        [--inline-variant 'LABEL=FLAGS']…  (one more inline afpacket sgfw row with FLAGS, e.g. 'rt=--workers 2 --realtime-workers',
//                                            and one more nfqueue row when the build has --capture nfqueue;
//                                            --nice=N among them: that row's sgfw at niceness N; with --offloads-on its offloads-on row too)
//        [--workers 1,2]  (sgfw inline (afpacket) and host mode also on that many worker threads, each row its own)
//        [--host-offloads]  (host mode's rows again, sgfw's (each --workers, each --build) and iptables' and
//                            no filter's, on veths with their default offloads: checksum, TSO and GSO on,
//                            so TCP moves as 64 KB super-packets, as on a real host)
//        [--clients K]  (K iperf3 clients at once, each from its own address 10.77.1.2 up to its own
//                        server port 5201 up: K address pairs, which --workers spread over their workers;
//                        the kernel peers get the same K clients, the rules allow 10.77.1.0/26)
//        [--parallel P]  (iperf3 -P P: P flows at once from each client, one address pair: one worker)
//        [--nice N]  (the userspace filters at niceness N: against 2K iperf3 processes on a small machine,
//                     a filter at the default share gets starved while the kernel's runs in softirq)
//      node bench/live.mjs --profile DIR [--host [--host-offloads] | --capture afpacket|pcap] [--workers N] [--clients K]
//        (sgfw inline, or host mode, under iperf3 load with node --cpu-prof; a summary per thread)
// SGBL_NS_PREFIX=xy: namespaces and interfaces named xy… instead of sgbl… (runs side by side).
//
// Every sgfw row is judged-only: each filter starts afresh for each test (TCP, UDP) and its stop
// record says what it judged in that test (judged, passed, dropped, per worker); host mode refuses
// a queue rule with --queue-bypass or a fail-open sgfw, and sets the packets its NFQUEUE rules
// matched (kernel counters) against the packets sgfw judged: what it did not judge the kernel
// dropped (never passed), so nothing unjudged inflates its figure.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, table } from './lib/stats.mjs';
import {
  addNs, cleanupOnSignal, delNs, inNs, noOffload, ourNamespaces, PREFIX, Processes, processCpuSeconds, sh, systemCpuSeconds, veth, waitForText,
} from './lib/netns.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// `--sgfw PATH` (or SGFW_BIN): the bin/sgfw.js to measure (default: this tree's).
let SGFW = process.env.SGFW_BIN || join(ROOT, 'bin', 'sgfw.js');
// `--nice N`: the userspace filters (sgfw, the ceilings) run at that niceness (`nice -n N`); null: as started.
let NICE = null;
const CAP_BRIDGE = join(ROOT, 'bench', 'lib', 'cap-bridge.mjs');
const AFPACKET_BRIDGE = join(ROOT, 'bench', 'lib', 'afpacket-bridge.mjs');
const OUTSIDE_HOST = '10.77.1.2';
const INSIDE_HOST = '10.77.2.2';
const PORT = 5201;
const QUEUE = 4711;
const RULES = 1000;
const GROUPS = 5;
/** `--clients K`: the most client addresses (10.77.1.2 up, all inside the last rules' 10.77.1.0/26). */
export const MAX_CLIENTS = 60;

/** Client k's address (0: the outside host) and the port of its own iperf3 server. */
export const clientAddress = (k) => `10.77.1.${2 + k}`;
export const clientPort = (k) => PORT + k;

// ---- the rules ----------------------------------------------------------------------------------

const PORTS = [[22, 22], [80, 80], [3306, 3306], [5432, 5432], [6379, 6379], [8080, 8080], [9000, 9100], [27017, 27019], [53, 53], [123, 123], [5000, 6000]];

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The inside host's ~1,000 rules: all egress, ICMP from the outside subnet (the warm-up pings),
 * random TCP/UDP rules from 10.100.0.0–10.199.255.255 (never the outside host), and, last, TCP
 * and UDP to iperf3's port from the outside host: a new flow meets every other rule first. With
 * `clients` > 1 the last two rules allow the clients' addresses (10.77.1.0/26) to their ports
 * (5201 up, one iperf3 server each): still two rules, still last.
 */
export function makeRules(count = RULES, seed = 5, clients = 1) {
  const rand = rng(seed);
  const pick = (n) => Math.floor(rand() * n);
  const rules = [{ egress: true, proto: 'all', cidr: '0.0.0.0/0' }, { egress: false, proto: 'icmp', cidr: '10.77.1.0/24' }];
  const seen = new Set();
  while (rules.length < count - 2) {
    const [from, to] = PORTS[pick(PORTS.length)];
    const len = [32, 32, 24, 16][pick(4)];
    const a = [10, 100 + pick(100), pick(256), pick(256)];
    if (len <= 24) a[3] = 0;
    if (len <= 16) a[2] = 0;
    const r = { egress: false, proto: rand() < 0.8 ? 'tcp' : 'udp', from, to, cidr: `${a.join('.')}/${len}` };
    const key = `${r.proto}/${from}/${r.cidr}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push(r);
  }
  if (!Number.isInteger(clients) || clients < 1 || clients > MAX_CLIENTS) throw new Error(`--clients: ${clients} is not 1–${MAX_CLIENTS}`);
  const cidr = clients === 1 ? `${OUTSIDE_HOST}/32` : '10.77.1.0/26';
  rules.push({ egress: false, proto: 'tcp', from: PORT, to: clientPort(clients - 1), cidr });
  rules.push({ egress: false, proto: 'udp', from: PORT, to: clientPort(clients - 1), cidr });
  return rules;
}

const VPC = 'vpc-0b1b2b3b4b5b6b7b8';
const groupIdOf = (g) => `sg-0b1e0000000000${String(g).padStart(3, '0')}`;

/** The rules as an sgfw state document: one ENI (the inside host) in GROUPS groups sharing them out. */
export function stateDocument(rules) {
  const perm = (r) => ({
    IpProtocol: r.proto === 'all' ? '-1' : r.proto,
    ...(r.proto === 'tcp' || r.proto === 'udp' ? { FromPort: r.from, ToPort: r.to } : r.proto === 'icmp' ? { FromPort: -1, ToPort: -1 } : {}),
    IpRanges: [{ CidrIp: r.cidr }],
    Ipv6Ranges: [],
    PrefixListIds: [],
    UserIdGroupPairs: [],
  });
  const per = Math.ceil(rules.length / GROUPS);
  const SecurityGroups = Array.from({ length: GROUPS }, (_, g) => {
    const mine = rules.slice(g * per, (g + 1) * per);
    return {
      GroupId: groupIdOf(g),
      GroupName: `bench-live-${g}`,
      Description: 'live benchmark group',
      VpcId: VPC,
      IpPermissions: mine.filter((r) => !r.egress).map(perm),
      IpPermissionsEgress: mine.filter((r) => r.egress).map(perm),
    };
  });
  const NetworkInterfaces = [{
    NetworkInterfaceId: 'eni-0b1e00000000000a1',
    VpcId: VPC,
    PrivateIpAddress: INSIDE_HOST,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: INSIDE_HOST }],
    Ipv6Addresses: [],
    Groups: SecurityGroups.map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName })),
  }];
  return { SecurityGroups, NetworkInterfaces };
}

/** The same rules for the kernel bridge: an nftables inet forward chain, conntrack first. */
export function nftRuleset(rules) {
  const lines = ['table inet sgbl {', '  chain forward {', '    type filter hook forward priority filter; policy drop;', '    ct state established,related accept'];
  for (const r of rules) {
    if (r.egress) lines.push(`    ip saddr ${INSIDE_HOST} accept`);
    else if (r.proto === 'icmp') lines.push(`    ip saddr ${r.cidr} ip daddr ${INSIDE_HOST} ip protocol icmp accept`);
    else lines.push(`    ip saddr ${r.cidr} ip daddr ${INSIDE_HOST} ${r.proto} dport ${r.from === r.to ? r.from : `${r.from}-${r.to}`} accept`);
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}

/** The same rules for host mode's peer: iptables INPUT, conntrack first, then DROP. */
export function iptablesRuleset(rules) {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT', '-A INPUT -i lo -j ACCEPT'];
  for (const r of rules) {
    if (r.egress) continue; // OUTPUT accepts everything, as the all-egress rule
    if (r.proto === 'icmp') lines.push(`-A INPUT -s ${r.cidr} -d ${INSIDE_HOST}/32 -p icmp -j ACCEPT`);
    else lines.push(`-A INPUT -s ${r.cidr} -d ${INSIDE_HOST}/32 -p ${r.proto} -m ${r.proto} --dport ${r.from === r.to ? r.from : `${r.from}:${r.to}`} -j ACCEPT`);
  }
  lines.push('-A INPUT -j DROP', 'COMMIT', '');
  return lines.join('\n');
}

// ---- the namespaces -----------------------------------------------------------------------------

/**
 * Inline's three namespaces and host mode's two; the hosts keep the same addresses in both. The
 * client side (inline's outside host, host mode's client) has `clients` addresses, 10.77.1.2 up.
 */
function createNet(tag, clients = 1) {
  const P = PREFIX;
  const n = {
    outside: `${P}-o-${tag}`, middle: `${P}-m-${tag}`, inside: `${P}-i-${tag}`, client: `${P}-c-${tag}`, host: `${P}-h-${tag}`,
    devOutside: `${P}o${tag}`, devInside: `${P}i${tag}`, middleOutside: `${P}mo${tag}`, middleInside: `${P}mi${tag}`,
    devClient: `${P}c${tag}`, devHost: `${P}h${tag}`,
  };
  destroyNet(n);
  for (const ns of [n.outside, n.middle, n.inside, n.client, n.host]) addNs(ns);
  veth(n.outside, n.devOutside, n.middle, n.middleOutside);
  veth(n.inside, n.devInside, n.middle, n.middleInside);
  veth(n.client, n.devClient, n.host, n.devHost);
  // Two /24s joined on one link (on-link routes), so the same rules serve inline and host mode.
  for (const [ns, dev, addr, peerNet] of [
    [n.outside, n.devOutside, OUTSIDE_HOST, '10.77.2.0/24'], [n.inside, n.devInside, INSIDE_HOST, '10.77.1.0/24'],
    [n.client, n.devClient, OUTSIDE_HOST, '10.77.2.0/24'], [n.host, n.devHost, INSIDE_HOST, '10.77.1.0/24'],
  ]) {
    inNs(ns, 'ip', ['addr', 'add', `${addr}/24`, 'dev', dev]);
    inNs(ns, 'ip', ['route', 'add', peerNet, 'dev', dev]);
    noOffload(ns, dev);
  }
  // `--clients K`: the other clients' addresses, each its own iperf3 client (`-B`), so flows differ by address pair.
  for (let k = 1; k < clients; k++) {
    inNs(n.outside, 'ip', ['addr', 'add', `${clientAddress(k)}/24`, 'dev', n.devOutside]);
    inNs(n.client, 'ip', ['addr', 'add', `${clientAddress(k)}/24`, 'dev', n.devClient]);
  }
  for (const dev of [n.middleOutside, n.middleInside]) {
    // The middle stays silent: no addresses, no IPv6 of its own.
    inNs(n.middle, 'sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    inNs(n.middle, 'ip', ['link', 'set', dev, 'promisc', 'on']);
  }
  middleOffloads(n, false);
  return n;
}

/**
 * Every veth with its default offloads (`on`): the hosts send 64 KB TCP super-frames (TSO/GSO) with
 * checksums left to complete, and the bridge's veths carry them whole (veth's GRO stays off, as it
 * comes); `off`: back to the bench's setting, none anywhere. What `--offloads-on` rows run under.
 */
function allOffloads(n, on) {
  for (const [ns, dev] of [[n.outside, n.devOutside], [n.inside, n.devInside]]) {
    if (on) inNs(ns, 'ethtool', ['-K', dev, 'tx', 'on', 'tso', 'on', 'gso', 'on']);
    else noOffload(ns, dev);
  }
  middleOffloads(n, on);
}

/**
 * Offloads on the bridge's own interfaces. They change how libpcap sizes its ring: with TSO, GSO or
 * GRO on (veth's defaults) it expects 64 KB packets and makes 256 slots of 64 KB out of the 16 MB
 * ring; with them off, ~10,000 slots of 1,600 bytes (libpcap 1.10, TPACKET_V2 in immediate mode).
 */
function middleOffloads(n, on) {
  for (const dev of [n.middleOutside, n.middleInside]) inNs(n.middle, 'ethtool', ['-K', dev, 'tso', on ? 'on' : 'off', 'gso', on ? 'on' : 'off', 'gro', 'off']);
}

function destroyNet(n) {
  for (const ns of [n.outside, n.middle, n.inside, n.client, n.host]) delNs(ns);
}

// ---- the filters --------------------------------------------------------------------------------

/** What a stopped filter said about its frames (its last plain or JSON "stop" line). */
function stopSummary(r) {
  const lines = r.stderr.split('\n');
  const plain = lines.filter((l) => /^(sgfw run|cap-bridge|afpacket-bridge): SIG\w+: /.test(l)).pop();
  if (plain) return plain.replace(/^(sgfw run|cap-bridge|afpacket-bridge): SIG\w+: (stopped; )?/, '');
  const stop = lines.filter((l) => l.includes('"event":"stop"')).pop();
  if (stop) {
    const j = JSON.parse(stop);
    // inline mode's stop record counts frames forwarded; host mode's, packets allowed and its queue
    // (through the kernel bridge, `--capture nfqueue`, its queues too: packets per batch, socket overruns)
    const queue = j.queue ? `; queue: ${j.queue.received} packets in ${j.queue.batches} batches (${(j.queue.received / Math.max(1, j.queue.batches)).toFixed(1)} each), overruns ${j.queue.enobufs}` : '';
    if (j.forwarded !== undefined) return `frames ${j.frames} forwarded ${j.forwarded} dropped ${j.dropped}${queue}`;
    return `packets ${j.packets} allowed ${j.allowed} dropped ${j.dropped} queue ${JSON.stringify(j.queue)}`;
  }
  return `exit ${r.code ?? r.signal}: ${r.stderr.slice(-200)}`;
}

/** A userspace filter: `node ARGS` in `ns` (through `nice -n N` with `--nice N`; nice execs node: the pid is node's). */
function spawnNode(procs, ns, args, nice = NICE) {
  if (nice === null) return procs.spawn(ns, process.execPath, args, { timeoutMs: 600_000 });
  return procs.spawn(ns, 'nice', ['-n', String(nice), process.execPath, ...args], { timeoutMs: 600_000 });
}

/** sgfw's JSON log record of `event` (its last one), or null (another program, or plain logs). */
function logRecord(stderr, event) {
  const line = stderr.split('\n').filter((l) => l.includes(`"event":"${event}"`)).pop();
  try {
    return line ? JSON.parse(line) : null;
  } catch {
    return null;
  }
}

/**
 * Host mode's queue rules in `ns` as the kernel counts them: packets the NFQUEUE rules of our chain
 * matched (IPv4 and IPv6), whether any rule lets packets pass unjudged (`--queue-bypass`), and the
 * kernel's own drops per queue (/proc/net/netfilter/nfnetlink_queue: queue full, netlink overrun).
 */
function queueCounters(ns) {
  let queued = 0;
  let bypass = false;
  let rules = 0;
  for (const save of ['iptables-save', 'ip6tables-save']) {
    for (const line of inNs(ns, save, ['-c', '-t', 'filter'], { timeout: 30_000 }).split('\n')) {
      const m = /^\[(\d+):\d+\] -A SGFW .*-j NFQUEUE/.exec(line);
      if (!m) continue;
      rules++;
      queued += Number(m[1]);
      if (line.includes('--queue-bypass')) bypass = true;
    }
  }
  let kernelDrops = 0;
  for (const line of inNs(ns, 'cat', ['/proc/net/netfilter/nfnetlink_queue']).trim().split('\n').filter(Boolean)) {
    const f = line.trim().split(/\s+/).map(Number);
    kernelDrops += f[5] + f[6]; // queue_dropped, queue_user_dropped
  }
  return { queued, bypass, rules, kernelDrops };
}

/** Frames the devices `devs` of `ns` received: what reached an inline bridge, judged or not. */
const received = (ns, devs) => linkPackets(ns, devs).rx;

/**
 * The capture methods `sgfw run --mode inline` offers in this build: `--capture pcap|afpacket` where
 * the flag exists (afpacket only when its addon is built); before the flag, libpcap only.
 */
export async function inlineCaptureMethods() {
  try {
    // dist/capture/capture-method.js since monitor mode shares the choice; run-inline.js before
    const cli = await import('../dist/capture/capture-method.js').catch(() => import('../dist/cli/run-inline.js'));
    if (!Array.isArray(cli.CAPTURE_METHODS)) return { flag: false, methods: ['pcap'] };
    const afpacket = cli.CAPTURE_METHODS.includes('afpacket') && cli.defaultCaptureMethod?.() === 'afpacket';
    // `--capture nfqueue` (inline mode only: the kernel bridges, sgfw judges through NFQUEUE) where the build has it
    const nfqueue = Array.isArray(cli.INLINE_CAPTURE_METHODS) && cli.INLINE_CAPTURE_METHODS.includes('nfqueue');
    return { flag: true, methods: [...cli.CAPTURE_METHODS.filter((m) => m !== 'afpacket' || afpacket), ...(nfqueue ? ['nfqueue'] : [])] };
  } catch {
    return { flag: false, methods: ['pcap'] };
  }
}

export const SGFW_PCAP = 'sgfw inline (pcap)';
export const SGFW_AFPACKET = 'sgfw inline (afpacket)';
/** `--capture nfqueue`: the kernel bridge sgfw sets up forwards, sgfw judges each IP packet through NFQUEUE (headers only) */
export const SGFW_NFQUEUE = 'sgfw inline (nfqueue)';
export const CAP_CEILING = 'cap bridge (ceiling)';
export const AFPACKET_CEILING = 'afpacket bridge (ceiling)';
export const KERNEL_BRIDGE = 'kernel bridge + nftables';
/** The label suffix of a row run with every veth at its default offloads (inline's `--offloads-on`, host's `--host-offloads`). */
export const OFFLOADS_ON = ', offloads on';

/**
 * Each filter: start() (resolves when it is enforcing) and stop() (a summary of what it did); `pid`
 * when it is one process; `optional`: a failure to start is noted and the filter left out.
 */
function inlineFilters(n, procs, stateFile, rules, { capture, offloadVariant = false, offloadsOn = false, ringVariants = [], builds = [], workerCounts = [], inlineVariants = [], extraNodeArgs = [] }) {
  const proc = (label, args, { offloads = false, everywhere = false, optional = false, nice = NICE } = {}) => {
    let child = null;
    let rx0 = 0;
    return {
      label,
      optional,
      get pid() {
        return child?.pid ?? 0;
      },
      async start() {
        if (offloads) middleOffloads(n, true);
        if (everywhere) allOffloads(n, true);
        // Nothing but the program under test joins the two sides: no bridge left in the middle.
        const bridges = JSON.parse(inNs(n.middle, 'ip', ['-j', 'link', 'show', 'type', 'bridge']) || '[]');
        if (bridges.length) throw new Error(`a bridge is left in the middle namespace (${bridges.map((b) => b.ifname).join(', ')}): frames would pass unjudged`);
        child = spawnNode(procs, n.middle, args, nice);
        await waitForText(child, 'stderr', 'SIGINT/SIGTERM to stop', 30_000);
        rx0 = received(n.middle, [n.middleOutside, n.middleInside]);
      },
      async stop() {
        const offered = received(n.middle, [n.middleOutside, n.middleInside]) - rx0;
        const r = await procs.stop(child, 'SIGTERM', 10_000);
        child = null;
        if (offloads) middleOffloads(n, false);
        if (everywhere) allOffloads(n, false);
        const stop = logRecord(r.stderr, 'stop');
        // sgfw's own count of frames judged against what reached its interfaces (the rest: capture drops).
        const counts = stop?.frames === undefined ? null : {
          offered, judged: stop.frames, passed: stop.forwarded, dropped: stop.dropped, unjudged: Math.max(0, offered - stop.frames), perWorker: stop.perWorker ?? [stop.frames],
        };
        return { text: stopSummary(r), counts };
      },
    };
  };
  const sgfw = (method, bin = SGFW, extra = []) => [...extraNodeArgs, bin, 'run', '--mode', 'inline', '--inside', n.middleInside, '--outside', n.middleOutside, '--state', stateFile,
    ...(capture.flag ? ['--capture', method] : []), ...extra];
  const kernel = {
    label: KERNEL_BRIDGE,
    pid: 0,
    async start() {
      const m = n.middle;
      inNs(m, 'ip', ['link', 'add', 'sgblbr', 'type', 'bridge']);
      inNs(m, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=1']);
      inNs(m, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-ip6tables=1']);
      inNs(m, 'sysctl', ['-qw', 'net.ipv6.conf.sgblbr.disable_ipv6=1']);
      for (const dev of [n.middleOutside, n.middleInside]) inNs(m, 'ip', ['link', 'set', dev, 'master', 'sgblbr']);
      inNs(m, 'ip', ['link', 'set', 'sgblbr', 'up']);
      inNs(m, 'nft', ['-f', '-'], { input: nftRuleset(rules) });
    },
    async stop() {
      const m = n.middle;
      inNs(m, 'nft', ['delete', 'table', 'inet', 'sgbl']);
      inNs(m, 'ip', ['link', 'del', 'sgblbr']);
      return '';
    },
  };
  const filters = [proc(SGFW_PCAP, sgfw('pcap'))];
  if (capture.methods.includes('afpacket')) filters.push(proc(SGFW_AFPACKET, sgfw('afpacket'), { optional: true }));
  // `--workers 1,2`: the afpacket bridge on that many worker threads (a fanout group per interface).
  if (capture.methods.includes('afpacket')) {
    for (const w of workerCounts) filters.push(proc(`${SGFW_AFPACKET}, ${w} workers`, sgfw('afpacket', SGFW, ['--workers', String(w)]), { optional: true }));
  }
  // `--capture nfqueue`: its default workers, and each --workers count (one NFQUEUE per worker).
  if (capture.methods.includes('nfqueue')) {
    filters.push(proc(SGFW_NFQUEUE, sgfw('nfqueue'), { optional: true }));
    for (const w of workerCounts) filters.push(proc(`${SGFW_NFQUEUE}, ${w} workers`, sgfw('nfqueue', SGFW, ['--workers', String(w)]), { optional: true }));
  }
  // Other builds side by side (`--build LABEL=PATH/bin/sgfw.js`, e.g. a patched copy): same flags, and each --workers count.
  for (const b of builds) filters.push(proc(`${SGFW_AFPACKET}, ${b.label}`, sgfw('afpacket', b.bin), { optional: true }));
  for (const b of builds) {
    for (const w of workerCounts) filters.push(proc(`${SGFW_AFPACKET}, ${b.label}, ${w} workers`, sgfw('afpacket', b.bin, ['--workers', String(w)]), { optional: true }));
  }
  // …and its `--capture nfqueue` rows with each --workers count ('sgfw inline (nfqueue), LABEL, N workers'), when this build has the flag.
  const queueBuildRows = (on) => (capture.methods.includes('nfqueue') ? builds.flatMap((b) => workerCounts.map((w) =>
    proc(`${SGFW_NFQUEUE}, ${b.label}, ${w} workers${on ? OFFLOADS_ON : ''}`, sgfw('nfqueue', b.bin, ['--workers', String(w)]), { optional: true, everywhere: on }))) : []);
  filters.push(...queueBuildRows(false));
  // `--inline-variant 'LABEL=FLAGS'`: this build with more flags (`--nice=N` among them is the bench's: that row's niceness).
  const variantRow = (v, on) => {
    const niceFlag = v.args.find((a) => a.startsWith('--nice='));
    const nice = niceFlag ? Number.parseInt(niceFlag.slice('--nice='.length), 10) : NICE;
    return proc(`${SGFW_AFPACKET}, ${v.label}${on ? OFFLOADS_ON : ''}`, sgfw('afpacket', SGFW, v.args.filter((a) => a !== niceFlag)), { optional: true, everywhere: on, nice });
  };
  if (capture.methods.includes('afpacket')) for (const v of inlineVariants) filters.push(variantRow(v, false));
  // …and the same flags on `--capture nfqueue` (its rows: 'sgfw inline (nfqueue), LABEL').
  const queueVariantRow = (v, on) => {
    const niceFlag = v.args.find((a) => a.startsWith('--nice='));
    const nice = niceFlag ? Number.parseInt(niceFlag.slice('--nice='.length), 10) : NICE;
    return proc(`${SGFW_NFQUEUE}, ${v.label}${on ? OFFLOADS_ON : ''}`, sgfw('nfqueue', SGFW, v.args.filter((a) => a !== niceFlag)), { optional: true, everywhere: on, nice });
  };
  if (capture.methods.includes('nfqueue')) for (const v of inlineVariants) filters.push(queueVariantRow(v, false));
  // `--offloads-on`: the afpacket rows again with every veth at its default offloads (OFFLOADS_ON), the kernel bridge too (below).
  if (offloadsOn && capture.methods.includes('afpacket')) {
    const on = { everywhere: true, optional: true };
    filters.push(proc(`${SGFW_AFPACKET}${OFFLOADS_ON}`, sgfw('afpacket'), on));
    // (not other builds': one from before vnet headers forwards no TCP at all with offloads on)
    for (const w of workerCounts) filters.push(proc(`${SGFW_AFPACKET}, ${w} workers${OFFLOADS_ON}`, sgfw('afpacket', SGFW, ['--workers', String(w)]), on));
    if (capture.methods.includes('nfqueue')) {
      filters.push(proc(`${SGFW_NFQUEUE}${OFFLOADS_ON}`, sgfw('nfqueue'), on));
      for (const w of workerCounts) filters.push(proc(`${SGFW_NFQUEUE}, ${w} workers${OFFLOADS_ON}`, sgfw('nfqueue', SGFW, ['--workers', String(w)]), on));
    }
    filters.push(proc(`${AFPACKET_CEILING}${OFFLOADS_ON}`, [AFPACKET_BRIDGE, n.middleInside, n.middleOutside, '--vnet'], on));
    for (const v of inlineVariants) filters.push(variantRow(v, true));
    if (capture.methods.includes('nfqueue')) for (const v of inlineVariants) filters.push(queueVariantRow(v, true));
    filters.push(...queueBuildRows(true));
  }
  // What the same sgfw gets on veths left with their default offloads (libpcap's 256-slot ring).
  if (offloadVariant) filters.push(proc(`${SGFW_PCAP}, bridge offloads on`, sgfw('pcap'), { offloads: true }));
  filters.push(proc(CAP_CEILING, [CAP_BRIDGE, n.middleInside, n.middleOutside]));
  if (capture.methods.includes('afpacket')) {
    filters.push(proc(AFPACKET_CEILING, [AFPACKET_BRIDGE, n.middleInside, n.middleOutside], { optional: true }));
    // The same ceiling with other rings (`--rings COUNTxBYTES[/MS],…`): what the ring's size buys.
    for (const v of ringVariants) {
      const ring = ['--block-count', String(v.count), '--block-size', String(v.size), ...(v.timeoutMs ? ['--timeout-ms', String(v.timeoutMs)] : [])];
      filters.push(proc(`${AFPACKET_CEILING}, ring ${v.label}`, [AFPACKET_BRIDGE, n.middleInside, n.middleOutside, ...ring], { optional: true }));
    }
  }
  filters.push(kernel);
  if (offloadsOn) {
    filters.push({
      label: `${KERNEL_BRIDGE}${OFFLOADS_ON}`,
      pid: 0,
      async start() {
        allOffloads(n, true);
        await kernel.start();
      },
      async stop() {
        const r = await kernel.stop();
        allOffloads(n, false);
        return r;
      },
    });
  }
  return filters;
}

export const SGFW_HOST = 'sgfw host (NFQUEUE)';
export const IPTABLES = 'iptables + conntrack';

/**
 * Host mode's filters: sgfw (its default workers, and `--workers N` for each of `workerCounts`),
 * the same rules in iptables, and no filter. sgfw's rows count only when every packet was judged:
 * start refuses a queue rule with `--queue-bypass` or a fail-open sgfw (packets that pass unjudged
 * would inflate its figure), and stop sets the packets the queue rules matched (the kernel's rule
 * counters, read before sgfw removes them) against the packets sgfw judged: the difference is what
 * the kernel dropped unjudged (queue full), which can only lower sgfw's figure.
 */
function hostFilters(n, procs, stateFile, rules, { workerCounts = [], extraNodeArgs = [], hostVariants = [], builds = [], offloads = false } = {}) {
  const sgfw = (label, extra, bin = SGFW) => {
    let child = null;
    return {
      label,
      optional: extra.length > 0,
      get pid() {
        return child?.pid ?? 0;
      },
      async start() {
        // `--nice=N` among a variant's flags is the bench's: that row's sgfw runs at niceness N.
        const niceFlag = extra.find((a) => a.startsWith('--nice='));
        const flags = extra.filter((a) => a !== niceFlag);
        child = spawnNode(procs, n.host, [...extraNodeArgs, bin, 'run', '--mode', 'host', '--state', stateFile, '--queue', String(QUEUE), '--log-format', 'json', ...flags],
          niceFlag ? Number.parseInt(niceFlag.slice('--nice='.length), 10) : NICE);
        await waitForText(child, 'stderr', 'SIGINT/SIGTERM to stop', 30_000);
        const q = queueCounters(n.host);
        const start = logRecord(child.output().stderr, 'start');
        if (q.rules === 0) throw new Error('no NFQUEUE rule in chain SGFW: sgfw judges nothing');
        if (q.bypass) throw new Error('the queue rule has --queue-bypass: packets could pass unjudged');
        if (start?.failOpen !== false) throw new Error(`sgfw's start record does not say fail closed (failOpen ${start?.failOpen})`);
      },
      async stop() {
        // Read before the stop (sgfw removes its rules then): a packet that reaches the queue after
        // this read (the last of a flow, an IPv6 neighbour or MLD message) is judged but not in
        // `queued`, so `unjudged` is floored at 0, as inline's is.
        const q = child ? queueCounters(n.host) : { queued: 0, kernelDrops: 0 };
        const r = await procs.stop(child, 'SIGTERM', 20_000);
        child = null;
        const stop = logRecord(r.stderr, 'stop');
        const counts = stop?.packets === undefined ? null : {
          offered: q.queued, judged: stop.packets, passed: stop.allowed, dropped: stop.dropped, unjudged: Math.max(0, q.queued - stop.packets), kernelDrops: q.kernelDrops,
          perWorker: stop.perWorker ?? [stop.packets],
        };
        return { text: stopSummary(r), counts };
      },
    };
  };
  const iptables = {
    label: IPTABLES,
    pid: 0,
    async start() {
      inNs(n.host, 'iptables-restore', ['-w', '5'], { input: iptablesRuleset(rules), timeout: 30_000 });
    },
    async stop() {
      inNs(n.host, 'iptables-restore', ['-w', '5'], { input: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n', timeout: 30_000 });
      return '';
    },
  };
  const none = { label: 'no filter', pid: 0, async start() {}, async stop() { return ''; } };
  const variants = hostVariants.map((v) => sgfw(`${SGFW_HOST}, ${v.label}`, v.args));
  // Other builds side by side (`--build LABEL=PATH/bin/sgfw.js`), with each --workers count (or the default).
  const ours = () => [
    sgfw(SGFW_HOST, []),
    ...workerCounts.map((w) => sgfw(`${SGFW_HOST}, ${w} workers`, ['--workers', String(w)])),
    ...builds.flatMap((b) => (workerCounts.length ? workerCounts : [null]).map((w) =>
      sgfw(`${SGFW_HOST}, ${b.label}${w ? `, ${w} workers` : ''}`, w ? ['--workers', String(w)] : [], b.bin))),
  ];
  const plain = [...ours(), ...variants, iptables, none];
  if (!offloads) return plain;
  // `--host-offloads`: the rows again with the host link's default offloads on, for sgfw and its peers alike.
  return [...plain, ...[...ours(), iptables, none].map((f) => withHostOffloads(n, f))];
}

/** The same filter with the host link's default veth offloads on (tx checksum, TSO, GSO) while it runs. */
function withHostOffloads(n, f) {
  const set = (on) => {
    for (const [ns, dev] of [[n.client, n.devClient], [n.host, n.devHost]]) {
      if (on) inNs(ns, 'ethtool', ['-K', dev, 'tx', 'on', 'tso', 'on', 'gso', 'on']);
      else noOffload(ns, dev);
    }
  };
  return {
    label: `${f.label}${OFFLOADS_ON}`,
    optional: f.optional,
    get pid() {
      return f.pid;
    },
    async start() {
      set(true);
      await f.start();
    },
    async stop() {
      try {
        return await f.stop();
      } finally {
        set(false);
      }
    },
  };
}

// ---- traffic ------------------------------------------------------------------------------------

/** Pings until one answer from each client address (the first frame each capture receives is lost: see INBOUND_ONLY). */
async function warmUp(procs, from, to, broadcasts, clients = 1) {
  // Nobody answers a broadcast ping (icmp_echo_ignore_broadcasts): a frame through the bridge each way, no wait.
  for (const [ns, bcast] of broadcasts) await procs.run(ns, 'ping', ['-b', '-n', '-c', '1', '-W', '0.1', bcast], { timeoutMs: 5000 });
  for (let k = 0; k < clients; k++) {
    let answered = false;
    for (let i = 0; i < 8 && !answered; i++) {
      const r = await procs.run(from, 'ping', ['-n', '-c', '1', '-W', '1', '-I', clientAddress(k), to], { timeoutMs: 5000 });
      answered = r.code === 0;
    }
    if (!answered) throw new Error(`warm-up: no ping answer from ${to} to ${clientAddress(k)} (from namespace ${from})`);
  }
}

/** Packets the devices of `ns` sent (tx) and received (rx), summed. */
function linkPackets(ns, devs) {
  const links = JSON.parse(inNs(ns, 'ip', ['-s', '-j', 'link', 'show']));
  let tx = 0;
  let rx = 0;
  let txBytes = 0;
  let rxBytes = 0;
  for (const l of links) {
    if (!devs.includes(l.ifname)) continue;
    tx += l.stats64.tx.packets;
    rx += l.stats64.rx.packets;
    txBytes += l.stats64.tx.bytes;
    rxBytes += l.stats64.rx.bytes;
  }
  return { tx, rx, txBytes, rxBytes };
}

/** The kernel's softirq threads (ksoftirqd/N): where softirq work goes when it is more than the interrupted task's exit can take. */
function softirqThreads() {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('ksoftirqd/');
    } catch {
      return false;
    }
  });
}

/** `ping -q`'s summary: round trips (ms) and loss, or nulls when nothing came back. */
function pingSummary(text) {
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/[\d.]+ ms/.exec(text);
  const loss = /([\d.]+)% packet loss/.exec(text);
  return { avgMs: rtt ? Number(rtt[2]) : null, maxMs: rtt ? Number(rtt[3]) : null, lossPct: loss ? Number(loss[1]) : null };
}

/**
 * One iperf3 test from `clientNs` to the server in `serverNs`: its figures, the frames the filter
 * passed (`counted`: a namespace and the devices whose packet counters count them), and CPU use.
 * `clients` K: K iperf3 clients at once, client k from its own address (clientAddress(k)) to its
 * own server (port clientPort(k)), so the flows differ by address pair; figures are their sums.
 */
async function iperf(procs, { clientNs, serverNs, kind, seconds, filterPid, counted, parallel = 1, clients = 1 }) {
  const servers = [];
  for (let k = 0; k < clients; k++) {
    const server = procs.spawn(serverNs, 'iperf3', ['-s', '-1', '-B', INSIDE_HOST, '-p', String(clientPort(k)), '--forceflush'], { timeoutMs: (seconds + 20) * 1000 });
    servers.push(server);
  }
  await Promise.all(servers.map((server) => waitForText(server, 'stdout', 'Server listening', 5000)));
  const argsOf = (k) => {
    const args = ['-c', INSIDE_HOST, '-p', String(clientPort(k)), '-B', clientAddress(k), '-t', String(seconds), '-J', '--connect-timeout', '3000'];
    if (kind === 'udp') args.push('-u', '-l', '18', '-b', '0');
    // `--parallel P`: P flows at once (iperf3 -P) from this client.
    if (parallel > 1) args.push('-P', String(parallel));
    return args;
  };
  const links0 = linkPackets(counted.ns, counted.devs);
  const sys0 = systemCpuSeconds();
  const filter0 = filterPid ? processCpuSeconds(filterPid) : 0;
  const t0 = performance.now();
  const runs = Array.from({ length: clients }, (_, k) => procs.spawn(clientNs, 'iperf3', argsOf(k), { timeoutMs: (seconds + 10) * 1000 }));
  // The whole path's CPU (every iperf3, the filter, the kernel's softirq threads: on veth the forwarding
  // and both hosts' stacks run in these) against the bytes through the filter, and what else ran (the
  // machine's busy time less the path's: other programs on a shared machine), over a window inside the
  // test (from 1 s in, or a quarter of a shorter test, to 0.5 s before its end: every iperf3 still alive to be read), with 10 pings a second
  // through the filter from the first client's address for the round trip under that load.
  const ksoftirqd = softirqThreads();
  const pathPids = [...servers, ...runs].map((c) => c.pid).concat(ksoftirqd, filterPid ? [filterPid] : []).filter(Boolean);
  const pathCpu = () => new Map(pathPids.map((pid) => [pid, processCpuSeconds(pid)]));
  // (a process gone by the second read, or not yet there at the first, counts for nothing)
  const pathDelta = (a, b) => [...a].reduce((n, [pid, t]) => n + (b.get(pid) > 0 && t > 0 ? b.get(pid) - t : 0), 0);
  const warmSec = Math.min(1, seconds / 4);
  const windowSec = Math.max(0.2, seconds - warmSec - 0.5);
  const sampleWindow = (async () => {
    await new Promise((r) => setTimeout(r, warmSec * 1000));
    const ping = procs.spawn(clientNs, 'ping', ['-n', '-q', '-i', '0.1', '-w', String(Math.max(1, Math.floor(windowSec))), '-I', clientAddress(0), INSIDE_HOST], { timeoutMs: (seconds + 10) * 1000 });
    const at0 = { path: pathCpu(), sys: systemCpuSeconds(), links: linkPackets(counted.ns, counted.devs) };
    await new Promise((r) => setTimeout(r, windowSec * 1000));
    const at1 = { path: pathCpu(), sys: systemCpuSeconds(), links: linkPackets(counted.ns, counted.devs) };
    return { at0, at1, pinged: pingSummary((await ping.done).stdout) };
  })();
  const results = await Promise.all(runs.map((c) => c.done));
  const wall = (performance.now() - t0) / 1000;
  const sys1 = systemCpuSeconds();
  const filter1 = filterPid ? processCpuSeconds(filterPid) : 0;
  const links1 = linkPackets(counted.ns, counted.devs);
  const { at0, at1, pinged } = await sampleWindow;
  for (const server of servers) await procs.stop(server, 'SIGKILL', 1000);
  const js = results.map((r, k) => {
    let j;
    try {
      j = JSON.parse(r.stdout);
    } catch {
      throw new Error(`iperf3 ${kind} from ${clientAddress(k)}: no JSON (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.slice(0, 300)}`);
    }
    if (j.error) throw new Error(`iperf3 ${kind} from ${clientAddress(k)}: ${j.error}`);
    return j;
  });
  const total = (s) => s.user + s.system + s.softirq + s.idle + s.steal;
  const busy = 1 - (sys1.idle - sys0.idle) / (total(sys1) - total(sys0));
  // Inline: frames the bridge sent out of its two interfaces; host: frames in and out of the host.
  const frames = counted.both ? links1.tx - links0.tx + links1.rx - links0.rx : links1.tx - links0.tx;
  const filterCpu = filter1 - filter0;
  const bytes = counted.both ? at1.links.txBytes - at0.links.txBytes + at1.links.rxBytes - at0.links.rxBytes : at1.links.txBytes - at0.links.txBytes;
  const machineCpu = total(at1.sys) - total(at0.sys);
  const busyCpu = machineCpu - (at1.sys.idle - at0.sys.idle);
  const onPath = pathDelta(at0.path, at1.path);
  const cpu = {
    pathCpuSecPerGB: bytes > 0 ? onPath / (bytes / 1e9) : null,
    othersCpuPct: (100 * Math.max(0, busyCpu - onPath)) / machineCpu,
    pingAvgMs: pinged.avgMs,
    pingMaxMs: pinged.maxMs,
    filterFrames: frames,
    filterCpuPct: filterPid ? (100 * filterCpu) / wall : null,
    filterCpuUsPerFrame: filterPid ? (1e6 * filterCpu) / Math.max(1, frames) : null,
    machineBusyPct: 100 * busy,
    softirqPct: (100 * (sys1.softirq - sys0.softirq)) / (total(sys1) - total(sys0)),
  };
  const sum = (f) => js.reduce((n, j) => n + f(j), 0);
  if (kind === 'tcp') {
    return { gbps: sum((j) => j.end.sum_received.bits_per_second) / 1e9, retransmits: sum((j) => j.end.sum_sent.retransmits ?? 0), ...cpu };
  }
  const lost = sum((j) => j.end.sum_received.lost_packets);
  const packets = sum((j) => j.end.sum_received.packets);
  return {
    framesPerSec: sum((j) => (j.end.sum_received.packets - j.end.sum_received.lost_packets) / j.end.sum_received.seconds),
    sentPerSec: sum((j) => j.end.sum_sent.packets / j.end.sum_sent.seconds),
    lossPct: (100 * lost) / Math.max(1, packets),
    ...cpu,
  };
}

// ---- the part -----------------------------------------------------------------------------------

function checkTools() {
  const missing = [];
  for (const tool of ['iperf3', 'nft', 'iptables-restore', 'ethtool', 'ping']) {
    try {
      sh('sh', ['-c', `command -v ${tool}`]);
    } catch {
      missing.push(tool);
    }
  }
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) missing.push('dist/ (npx tsc -p tsconfig.build.json)');
  if (missing.length) throw new Error(`live benchmark: missing ${missing.join(', ')}`);
}

const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

/** `--rings 64x262144,16x1048576/10`: ring variants of the AF_PACKET ceiling (blocks × bytes[/timeout ms]). */
export function parseRings(text) {
  if (!text) return [];
  return text.split(',').map((v) => {
    const m = /^(\d+)x(\d+)(?:\/(\d+))?$/.exec(v.trim());
    if (!m) throw new Error(`--rings: '${v}' is not BLOCKSxBYTES[/MS] (e.g. 64x262144/2)`);
    const [count, size, timeoutMs] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : undefined];
    const kib = size >= 1 << 20 ? `${size / (1 << 20)} MiB` : `${size / 1024} KiB`;
    return { count, size, timeoutMs, label: `${count} × ${kib}${timeoutMs ? `, ${timeoutMs} ms` : ''}` };
  });
}

/** `--host-variant 'LABEL=--queue-maxlen 8192'`: one more host-mode sgfw row with those flags (split at spaces). */
export function parseHostVariant(text) {
  return parseVariant(text, '--host-variant', "'maxlen 8192=--queue-maxlen 8192'");
}

/** `--inline-variant 'rt=--workers 2 --realtime-workers'`: one more inline afpacket sgfw row with those flags (split at spaces). */
export function parseInlineVariant(text) {
  return parseVariant(text, '--inline-variant', "'rt=--workers 2 --realtime-workers'");
}

function parseVariant(text, flag, example) {
  const at = (text ?? '').indexOf('=');
  if (at <= 0) throw new Error(`${flag} ${text}: not LABEL=FLAGS (e.g. ${example})`);
  return { label: text.slice(0, at), args: text.slice(at + 1).split(' ').filter(Boolean) };
}

/** Why the live part cannot run here (null when it can): it needs root for namespaces and raw sockets. */
export function liveSkipReason() {
  return process.getuid?.() === 0 ? null : `needs root (network namespaces, AF_PACKET, NFQUEUE); running as uid ${process.getuid?.()}`;
}

/**
 * The live part. Full: 3 rounds of 3-second tests, each filter started afresh every round (rotated
 * order), about 3 minutes. quick: one session per filter with 3 runs of 1 s back to back; smoke:
 * one 1-second run each. `seconds`/`sessions` override; `only`: filters whose label contains it;
 * `offloads`: add sgfw (pcap) on veths with their default offloads; `rings`: parseRings' variants.
 * Returns { skipped } when not root; otherwise { rows, ratios, settings, notes }.
 */
export async function runLive({ quick = false, smoke = false, seconds: secondsOpt, sessions: sessionsOpt, only = null, offloads = false, offloadsOn = false, hostOffloads = false, rings = [], builds = [], workerCounts = [], hostVariants = [], inlineVariants = [], parallel = 1, clients = 1, log = (s) => console.log(s) } = {}) {
  const skip = liveSkipReason();
  if (skip) {
    log(`Live (item 6): skipped: ${skip}`);
    return { skipped: skip, rows: [] };
  }
  checkTools();
  const seconds = secondsOpt ?? (smoke || quick ? 1 : 3);
  const sessions = sessionsOpt ?? (smoke || quick ? 1 : 5);
  const runsPerSession = quick && !smoke ? 3 : 1;
  const loadBefore = loadavg();
  const work = scratch('sgbl-live-', clients);
  const { rules, stateFile, procs } = work;
  const capture = await inlineCaptureMethods();
  const samples = new Map(); // `${part}/${label}/${kind}` → results
  const judged = new Map(); // the same keys → what the filter said it judged, per session
  const notes = [];
  const started = performance.now();
  try {
    const n = work.open();
    const parts = [
      { part: 'inline', filters: inlineFilters(n, procs, stateFile, rules, { capture, offloadVariant: offloads, offloadsOn, ringVariants: rings, builds, workerCounts, inlineVariants }), clientNs: n.outside, serverNs: n.inside,
        broadcasts: [[n.outside, '10.77.1.255'], [n.inside, '10.77.2.255']],
        counted: { ns: n.middle, devs: [n.middleOutside, n.middleInside], both: false } },
      { part: 'host', filters: hostFilters(n, procs, stateFile, rules, { workerCounts, hostVariants, builds, offloads: hostOffloads }), clientNs: n.client, serverNs: n.host, broadcasts: [],
        counted: { ns: n.host, devs: [n.devHost], both: true } },
    ];
    // `--only a,b` (or `a|b` when a part has a comma, as the worker rows' labels do): the filters whose label contains any part.
    const onlyParts = only ? only.split(only.includes('|') ? '|' : ',') : [];
    if (only) for (const p of parts) p.filters = p.filters.filter((f) => onlyParts.some((o) => f.label.includes(o)));
    for (let round = 0; round < sessions; round++) {
      for (const p of parts) {
        for (const f of rotate(p.filters, round)) {
          // Each filter starts afresh for each kind of test, so what it says at its stop is that test's alone.
          for (const kind of ['tcp', 'udp']) {
            if (f.failed) continue;
            const key = `${p.part}/${f.label}/${kind}`;
            log(`live: round ${round + 1}/${sessions}: ${p.part}: ${f.label}: ${kind} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
            try {
              await f.start();
            } catch (e) {
              await f.stop().catch(() => '');
              if (!f.optional) throw e;
              f.failed = true;
              notes.push(`${p.part}, ${f.label}: left out, it did not start: ${e.message.slice(0, 300)}`);
              continue;
            }
            let ran = 0;
            try {
              await warmUp(procs, p.clientNs, INSIDE_HOST, p.broadcasts, clients);
              for (let k = 0; k < runsPerSession; k++) {
                let r;
                try {
                  r = await iperf(procs, { clientNs: p.clientNs, serverNs: p.serverNs, kind, seconds, filterPid: f.pid, counted: p.counted, parallel, clients });
                } catch (e) {
                  // iperf3 3.12 waits for ever for the answer to its UDP connect datagram: under the other
                  // clients' flood one can be lost. Once more; a second failure fails the session.
                  if (clients === 1) throw e;
                  notes.push(`${p.part}, ${f.label}, ${kind}, session ${round + 1}: retried: ${e.message.slice(0, 200)}`);
                  r = await iperf(procs, { clientNs: p.clientNs, serverNs: p.serverNs, kind, seconds, filterPid: f.pid, counted: p.counted, parallel, clients });
                }
                if (!samples.has(key)) samples.set(key, []);
                samples.get(key).push(r);
                ran++;
              }
            } catch (e) {
              // One filter failing a test (no answer, iperf3 refused) is noted; the others still run.
              notes.push(`${p.part}, ${f.label}, ${kind}, session ${round + 1}: FAILED: ${e.message.slice(0, 300)}`);
              log(`live: ${p.part}, ${f.label}: FAILED: ${e.message.slice(0, 300)}`);
            } finally {
              const stopped = await f.stop();
              const { text, counts } = typeof stopped === 'string' ? { text: stopped, counts: null } : stopped;
              if (text) notes.push(`${p.part}, ${f.label}, ${kind}, session ${round + 1}: ${text}`);
              if (counts && ran > 0) {
                if (!judged.has(key)) judged.set(key, []);
                judged.get(key).push(counts);
              }
            }
          }
        }
      }
    }
  } finally {
    work.close();
  }
  const repeats = sessions * runsPerSession;
  const rows = [];
  for (const [key, rs] of samples) {
    const [part, label, kind] = key.split('/');
    const m = (k) => (rs[0][k] === null || rs[0][k] === undefined ? null : median(rs.map((r) => r[k])));
    // What the filter judged in a session (a run, unless --quick's 3 runs a session): medians, and the workers' shares summed.
    const cs = judged.get(key) ?? [];
    const c = (k) => (cs.length && cs[0][k] !== undefined ? median(cs.map((x) => x[k])) : null);
    const perWorker = cs.length ? cs.reduce((acc, x) => acc.map((v, i) => v + (x.perWorker[i] ?? 0)), new Array(cs[0].perWorker.length).fill(0)) : null;
    const shared = perWorker ? perWorker.reduce((a, b) => a + b, 0) : 0;
    rows.push({
      part, filter: label, test: kind === 'tcp' ? (label.endsWith(OFFLOADS_ON) ? 'TCP 64 KB super-frames' : 'TCP 1500-byte frames') : 'UDP 64-byte frames', kind, runs: rs.length,
      gbps: m('gbps'), retransmits: m('retransmits'), framesPerSec: m('framesPerSec'), sentPerSec: m('sentPerSec'), lossPct: m('lossPct'),
      filterFramesPerSec: m('filterFrames') / seconds, filterCpuPct: m('filterCpuPct'), filterCpuUsPerFrame: m('filterCpuUsPerFrame'),
      machineBusyPct: m('machineBusyPct'), softirqPct: m('softirqPct'),
      pathCpuSecPerGB: m('pathCpuSecPerGB'), othersCpuPct: m('othersCpuPct'), pingAvgMs: m('pingAvgMs'), pingMaxMs: m('pingMaxMs'),
      judged: c('judged'), passed: c('passed'), dropped: c('dropped'), unjudged: c('unjudged'), offered: c('offered'),
      workerShares: perWorker && shared > 0 ? perWorker.map((v) => Math.round((100 * v) / shared)) : null,
    });
  }
  const fig = (part, label, kind) => {
    const r = rows.find((x) => x.part === part && x.filter === label && x.kind === kind);
    return r ? (kind === 'tcp' ? r.gbps : r.framesPerSec) : NaN;
  };
  const ratio = (part, a, b, kind) => fig(part, a, kind) / fig(part, b, kind);
  const ratios = [];
  const add = (part, a, b, target = null) => {
    for (const kind of ['tcp', 'udp']) {
      const v = ratio(part, a, b, kind);
      if (Number.isFinite(v)) ratios.push({ kind, comparison: `${a} / ${b}`, ratio: v, target });
    }
  };
  add('inline', SGFW_AFPACKET, AFPACKET_CEILING, 0.9);
  add('inline', SGFW_AFPACKET, KERNEL_BRIDGE, 0.5);
  add('inline', SGFW_PCAP, CAP_CEILING, 0.9);
  add('inline', SGFW_PCAP, KERNEL_BRIDGE, 0.5);
  add('inline', SGFW_AFPACKET, SGFW_PCAP);
  add('inline', AFPACKET_CEILING, CAP_CEILING);
  add('inline', AFPACKET_CEILING, KERNEL_BRIDGE);
  add('inline', CAP_CEILING, KERNEL_BRIDGE);
  for (const v of rings) add('inline', `${AFPACKET_CEILING}, ring ${v.label}`, AFPACKET_CEILING);
  for (const b of builds) {
    add('inline', `${SGFW_AFPACKET}, ${b.label}`, SGFW_AFPACKET);
    add('inline', `${SGFW_AFPACKET}, ${b.label}`, AFPACKET_CEILING);
    add('inline', `${SGFW_AFPACKET}, ${b.label}`, KERNEL_BRIDGE);
  }
  for (const v of inlineVariants) add('inline', `${SGFW_AFPACKET}, ${v.label}`, KERNEL_BRIDGE, 1.0);
  for (const v of inlineVariants) add('inline', `${SGFW_NFQUEUE}, ${v.label}`, KERNEL_BRIDGE, 1.0);
  add('inline', SGFW_NFQUEUE, KERNEL_BRIDGE, 1.0);
  for (const w of workerCounts) {
    add('inline', `${SGFW_NFQUEUE}, ${w} workers`, KERNEL_BRIDGE, 1.0);
    add('inline', `${SGFW_NFQUEUE}, ${w} workers`, `${SGFW_AFPACKET}, ${w} workers`);
    add('inline', `${SGFW_AFPACKET}, ${w} workers`, KERNEL_BRIDGE, 1.0);
    add('inline', `${SGFW_AFPACKET}, ${w} workers`, AFPACKET_CEILING);
    for (const b of builds) add('inline', `${SGFW_AFPACKET}, ${b.label}, ${w} workers`, KERNEL_BRIDGE, 1.0);
    for (const b of builds) {
      add('inline', `${SGFW_NFQUEUE}, ${b.label}, ${w} workers`, KERNEL_BRIDGE, 1.0);
      add('inline', `${SGFW_NFQUEUE}, ${b.label}, ${w} workers`, `${SGFW_NFQUEUE}, ${w} workers`);
    }
  }
  if (offloadsOn) {
    // Offloads on against the kernel bridge with offloads on (the fair peer), and against the same row with them off.
    const K = `${KERNEL_BRIDGE}${OFFLOADS_ON}`;
    const onRows = [SGFW_AFPACKET, SGFW_NFQUEUE, ...workerCounts.flatMap((w) => [`${SGFW_AFPACKET}, ${w} workers`, `${SGFW_NFQUEUE}, ${w} workers`])];
    for (const label of onRows) {
      add('inline', `${label}${OFFLOADS_ON}`, K, 1.0);
      add('inline', `${label}${OFFLOADS_ON}`, label);
    }
    add('inline', `${AFPACKET_CEILING}${OFFLOADS_ON}`, K);
    for (const w of workerCounts) add('inline', `${SGFW_NFQUEUE}, ${w} workers${OFFLOADS_ON}`, `${SGFW_AFPACKET}, ${w} workers${OFFLOADS_ON}`);
    for (const v of inlineVariants) add('inline', `${SGFW_AFPACKET}, ${v.label}${OFFLOADS_ON}`, K, 1.0);
    for (const v of inlineVariants) add('inline', `${SGFW_NFQUEUE}, ${v.label}${OFFLOADS_ON}`, K, 1.0);
    for (const b of builds) {
      for (const w of workerCounts) {
        add('inline', `${SGFW_NFQUEUE}, ${b.label}, ${w} workers${OFFLOADS_ON}`, K, 1.0);
        add('inline', `${SGFW_NFQUEUE}, ${b.label}, ${w} workers${OFFLOADS_ON}`, `${SGFW_NFQUEUE}, ${w} workers${OFFLOADS_ON}`);
      }
    }
    add('inline', K, KERNEL_BRIDGE);
  }
  add('host', SGFW_HOST, IPTABLES, 0.9);
  for (const w of workerCounts) add('host', `${SGFW_HOST}, ${w} workers`, IPTABLES, 0.9);
  for (const v of hostVariants) add('host', `${SGFW_HOST}, ${v.label}`, IPTABLES, 0.9);
  for (const b of builds) {
    for (const w of workerCounts.length ? workerCounts : [null]) {
      const label = `${SGFW_HOST}, ${b.label}${w ? `, ${w} workers` : ''}`;
      add('host', label, IPTABLES, 0.9);
      add('host', label, w ? `${SGFW_HOST}, ${w} workers` : SGFW_HOST);
    }
  }
  add('host', SGFW_HOST, 'no filter');
  add('host', IPTABLES, 'no filter');
  if (hostOffloads) {
    const on = (label) => `${label}${OFFLOADS_ON}`;
    add('host', on(SGFW_HOST), on(IPTABLES), 0.9);
    for (const w of workerCounts) add('host', on(`${SGFW_HOST}, ${w} workers`), on(IPTABLES), 0.9);
    for (const b of builds) {
      for (const w of workerCounts.length ? workerCounts : [null]) {
        const label = `${SGFW_HOST}, ${b.label}${w ? `, ${w} workers` : ''}`;
        add('host', on(label), on(IPTABLES), 0.9);
        add('host', on(label), on(w ? `${SGFW_HOST}, ${w} workers` : SGFW_HOST));
      }
    }
    add('host', on(SGFW_HOST), SGFW_HOST);
    add('host', on(IPTABLES), IPTABLES);
    add('host', on(IPTABLES), on('no filter'));
  }
  for (const r of ratios) r.met = r.target === null ? null : r.ratio >= r.target;
  return {
    settings: {
      captureMethods: capture.methods, seconds, repeats, sessions, runsPerSession, rules: rules.length, groups: GROUPS, udpPayload: 18, parallel, clients, workerCounts, nice: NICE,
      elapsedSec: (performance.now() - started) / 1000, loadAverageBefore: loadBefore.map((x) => Number(x.toFixed(2))), loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))),
      date: new Date().toISOString(),
    },
    rows,
    ratios,
    notes,
  };
}

/** The part's tables (printed), as bench/run.mjs keeps them. */
export function liveTables(r) {
  if (r.skipped) return [];
  const s = r.settings;
  const opt = (d) => (x) => (x === null || x === undefined ? '' : fixed(d)(x));
  const rows = table(`Live: iperf3 through each filter, ${s.rules} rules (median of ${s.repeats} runs of ${s.seconds} s; TCP: 1500-byte frames; UDP: -l 18, 64-byte frames, -b 0${s.parallel > 1 ? `; iperf3 -P ${s.parallel}` : ''}${s.clients > 1 ? `; ${s.clients} clients at once, each from its own address` : ''})`, [
    ['mode', 'part'], ['filter', 'filter'], ['test', 'kind'], ['runs', 'runs'], ['TCP Gbit/s', 'gbps', opt(2)], ['TCP retrans', 'retransmits', opt(0)],
    ['UDP rx frames/s', 'framesPerSec', opt(0)], ['UDP tx frames/s', 'sentPerSec', opt(0)], ['UDP loss %', 'lossPct', opt(1)],
    ['frames/s at filter', 'filterFramesPerSec', opt(0)], ['filter CPU %', 'filterCpuPct', opt(0)], ['filter CPU µs/frame', 'filterCpuUsPerFrame', opt(2)],
    // the machine: busy %, the whole path's CPU (iperf3s, filter, ksoftirqd) per GB through the filter, what
    // other programs took, and a ping's round trip through the filter during the test (avg / max)
    ['busy %', 'machineBusyPct', opt(0)], ['path CPU s/GB', 'pathCpuSecPerGB', opt(3)], ['others CPU %', 'othersCpuPct', opt(0)],
    ['ping ms avg', 'pingAvgMs', opt(2)], ['ping ms max', 'pingMaxMs', opt(1)],
    // sgfw's own count for a run (its stop record): judged, passed (forwarded / allowed), dropped, and what
    // reached it unjudged (inline: capture drops; host: queued packets the kernel dropped, queue full)
    ['judged', 'judged', opt(0)], ['passed', 'passed', opt(0)], ['dropped', 'dropped', opt(0)], ['unjudged', 'unjudged', opt(0)],
    ['worker shares %', 'workerShares', (v) => (v ? v.join(' / ') : '')],
  ], r.rows);
  const byComparison = new Map();
  for (const x of r.ratios) {
    const row = byComparison.get(x.comparison) ?? { comparison: x.comparison, target: x.target };
    row[x.kind] = x.ratio;
    byComparison.set(x.comparison, row);
  }
  const met = (row) => (row.target === null ? '' : [row.tcp, row.udp].map((v) => (v >= row.target ? 'met' : 'missed')).join(' / '));
  const ratios = table('Live: ratios (TCP Gbit/s; UDP frames/s received)', [
    ['comparison', 'comparison'], ['TCP', 'tcp', fixed(2)], ['UDP', 'udp', fixed(2)], ['target', 'target', opt(2)], ['TCP / UDP', 'met', (_, row) => met(row)],
  ], [...byComparison.values()]);
  return [rows, ratios];
}

// ---- profile ------------------------------------------------------------------------------------

/** Self time by function (top `top`) of a .cpuprofile, as [percent, name, where]. */
export function profileSummary(file, top = 20) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map();
  const dt = p.timeDeltas;
  let totalMs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    const ms = (dt[i] ?? 0) / 1000;
    self.set(key, (self.get(key) ?? 0) + ms);
    totalMs += ms;
  }
  return { totalMs, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, ms]) => [(100 * ms) / totalMs, k]) };
}

/**
 * sgfw under one TCP and one UDP iperf3 test (each `clients` clients), with node --cpu-prof; prints
 * the summary per thread. `mode` inline (`method` afpacket or pcap) or host (NFQUEUE).
 */
async function profileLive(outDir, { mode = 'inline', method = 'pcap', workers, clients = 1, hostOffloads = false }) {
  if (process.getuid?.() !== 0) throw new Error('--profile needs root');
  checkTools();
  const work = scratch('sgbl-prof-', clients);
  const { stateFile, procs, rules } = work;
  try {
    const net = work.open();
    for (const kind of ['tcp', 'udp']) {
      const sub = join(outDir, kind);
      const extraNodeArgs = ['--cpu-prof', '--cpu-prof-dir', sub];
      let sgfw;
      let where;
      if (mode === 'host') {
        const label = workers ? `${SGFW_HOST}, ${workers} workers` : SGFW_HOST;
        sgfw = hostFilters(net, procs, stateFile, rules, { workerCounts: workers ? [workers] : [], extraNodeArgs, offloads: hostOffloads })
          .find((f) => f.label === (hostOffloads ? `${label}${OFFLOADS_ON}` : label));
        where = { clientNs: net.client, serverNs: net.host, broadcasts: [], counted: { ns: net.host, devs: [net.devHost], both: true } };
      } else {
        const capture = await inlineCaptureMethods();
        const label = method === 'afpacket' ? `${SGFW_AFPACKET}${workers ? `, ${workers} workers` : ''}` : SGFW_PCAP;
        sgfw = inlineFilters(net, procs, stateFile, rules, { capture, workerCounts: workers ? [workers] : [], extraNodeArgs }).find((f) => f.label === label);
        if (!sgfw) throw new Error(`--capture ${method}: not in this build (${capture.methods.join(', ')})`);
        where = { clientNs: net.outside, serverNs: net.inside, broadcasts: [[net.outside, '10.77.1.255'], [net.inside, '10.77.2.255']], counted: { ns: net.middle, devs: [net.middleOutside, net.middleInside], both: false } };
      }
      await sgfw.start();
      await warmUp(procs, where.clientNs, INSIDE_HOST, where.broadcasts, clients);
      const r = await iperf(procs, { clientNs: where.clientNs, serverNs: where.serverNs, kind, seconds: 5, filterPid: sgfw.pid, counted: where.counted, clients });
      console.log(`${kind}: ${JSON.stringify(r)}`);
      console.log(JSON.stringify(await sgfw.stop()));
      // One profile per thread (the main thread's and, with --workers, each worker's).
      for (const file of readdirSync(sub).filter((f) => f.endsWith('.cpuprofile'))) {
        const s = profileSummary(join(sub, file));
        console.log(`${kind}: ${join(sub, file)}, ${s.totalMs.toFixed(0)} ms sampled; self time:`);
        for (const [pct, name] of s.top) console.log(`  ${pct.toFixed(1).padStart(5)}%  ${name}`);
      }
    }
  } finally {
    work.close();
  }
}

/**
 * A run's scratch space: a state file with the benchmark's rules, the processes it starts, and
 * its namespaces (made by `open`); `close` removes them all, as SIGINT and SIGTERM do meanwhile.
 */
function scratch(prefix, clients = 1) {
  const rules = makeRules(RULES, 5, clients);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(stateDocument(rules)));
  const procs = new Processes();
  let net = null;
  const cleanup = () => {
    procs.killAll();
    if (net) destroyNet(net);
    rmSync(dir, { recursive: true, force: true });
  };
  const release = cleanupOnSignal(cleanup);
  return {
    rules,
    stateFile,
    procs,
    open: () => (net = createNet(String(process.pid % 100000), clients)),
    close: () => {
      cleanup();
      release();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--profile');
  if (at >= 0) {
    const c = args.indexOf('--capture');
    const w = args.indexOf('--workers');
    const k = args.indexOf('--clients');
    await profileLive(args[at + 1] ?? mkdtempSync(join(tmpdir(), 'sgbl-cpuprof-')), {
      mode: args.includes('--host') ? 'host' : 'inline',
      method: c >= 0 ? args[c + 1] : 'pcap',
      workers: w >= 0 ? Number.parseInt(args[w + 1], 10) : undefined,
      clients: k >= 0 ? Number.parseInt(args[k + 1], 10) : 1,
      hostOffloads: args.includes('--host-offloads'),
    });
  } else {
    const json = args.includes('--json');
    if (args.includes('--sgfw')) SGFW = args[args.indexOf('--sgfw') + 1];
    if (args.includes('--nice')) {
      NICE = Number.parseInt(args[args.indexOf('--nice') + 1], 10);
      if (!Number.isInteger(NICE) || NICE < -20 || NICE > 19) throw new Error(`--nice: '${args[args.indexOf('--nice') + 1]}' is not -20–19`);
    }
    const value = (name) => {
      const i = args.indexOf(name);
      return i >= 0 ? args[i + 1] : undefined;
    };
    const int = (name) => (value(name) === undefined ? undefined : Number.parseInt(value(name), 10));
    const r = await runLive({
      quick: args.includes('--quick'), smoke: args.includes('--smoke'), seconds: int('--seconds'), sessions: int('--sessions'),
      only: value('--only') ?? null, offloads: args.includes('--offloads'), offloadsOn: args.includes('--offloads-on'), hostOffloads: args.includes('--host-offloads'), rings: parseRings(value('--rings')),
      builds: args.flatMap((a, i) => (a === '--build' ? [args[i + 1]] : [])).map((v) => {
        const at = v.indexOf('=');
        if (at <= 0) throw new Error(`--build ${v}: not LABEL=PATH/bin/sgfw.js`);
        return { label: v.slice(0, at), bin: v.slice(at + 1) };
      }),
      workerCounts: (value('--workers') ?? '').split(',').filter(Boolean).map((w) => Number.parseInt(w, 10)),
      parallel: int('--parallel') ?? 1,
      clients: int('--clients') ?? 1,
      hostVariants: args.flatMap((a, i) => (a === '--host-variant' ? [args[i + 1]] : [])).map(parseHostVariant),
      inlineVariants: args.flatMap((a, i) => (a === '--inline-variant' ? [args[i + 1]] : [])).map(parseInlineVariant),
      log: (s) => console.error(s),
    });
    if (json) console.log(JSON.stringify(r));
    else {
      liveTables(r);
      for (const note of r.notes ?? []) console.log(note);
      if (r.settings) console.log(`${r.settings.elapsedSec.toFixed(0)} s; load average ${r.settings.loadAverageBefore.join(' ')} before, ${r.settings.loadAverageAfter.join(' ')} after`);
    }
    const left = ourNamespaces().filter((ns) => ns.endsWith(`-${process.pid % 100000}`));
    if (left.length) console.error(`left behind: ${left.join(' ')}`);
  }
}
