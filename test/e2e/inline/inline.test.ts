// `sgfw run --mode inline` on a real kernel: Albert (seed 000) in an inside namespace, reached only
// through a middle namespace where sgfw bridges two veths (no IP addresses there), from an outside
// namespace holding his own machine's address and a stranger's, all in one subnet. Needs root;
// skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../../observe/exposition.js';
import { createCredentials } from '../../support/serve-process.js';
import { inNs, spawnInNs, stopProcess, tcpConnect, tcpListen, waitFor } from '../host-mode/netns.js';
import { apiEndpoint, awsEc2 } from '../../support/aws-cli.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet } from './bridge-netns.js';
import { crossing, MPLS_LABEL, SNAP_IPV4 } from './frames-across.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const ALBERT_HOST = '10.0.5.10';
const ALBERT_MACHINE = '10.0.5.20';
const STRANGER = '10.0.5.21';
const BROADCAST = '10.0.5.255';
const GROUP = 'sg-0a1b2c3d4e5f60001';
const ENI = 'eni-0a1b2c3d4e5f60001';
const METRICS_PORT = 9471;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-inline-'));
const stateFile = join(dir, 'albert.json');
const tag = String(process.pid % 100000);
let net: BridgeNet | null = null;
const children: ChildProcess[] = [];
/** the sgfw of the current test: stopped after it, pass or fail (two bridges would duplicate frames) */
const running: ChildProcess[] = [];

/** Albert's seed state at the namespace's addresses: SSH from his machine only, and `extra` rules in. */
function writeState(extra: object[] = []): void {
  const state = seedStateAt('albert', ALBERT_HOST);
  const group = state.SecurityGroups[0];
  group.IpPermissions.find((p: { FromPort?: number }) => p.FromPort === 22).IpRanges = [{ CidrIp: `${ALBERT_MACHINE}/32` }];
  group.IpPermissions.push(...extra);
  writeFileSync(stateFile, JSON.stringify(state));
}

interface Sgfw {
  child: ChildProcess;
  stderr(): string;
}

/** One thread (`--workers 1`): what this file checks is the one-thread bridge; inline-workers*.test.ts check N. */
async function startSgfw(...extra: string[]): Promise<Sgfw> {
  const child = spawnInNs(net!.middle, process.execPath, [
    ENTRY, 'run', '--mode', 'inline', '--inside', net!.middleInside, '--outside', net!.middleOutside, '--workers', '1', ...extra,
  ]);
  children.push(child);
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(child, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
  primeCaptures();
  return { child, stderr: () => err };
}

/**
 * One broadcast frame into each side of the bridge, before the frames a test counts on: libpcap
 * loses the first frame an `inbound`-filtered capture receives (see INBOUND_ONLY in run-inline.ts).
 */
function primeCaptures(): void {
  for (const ns of [net!.outside, net!.inside]) {
    spawnSync('ip', ['netns', 'exec', ns, 'ping', '-b', '-n', '-c', '1', '-W', '1', BROADCAST], { timeout: 5000, stdio: 'ignore' });
  }
}

/** One echo request from `ns` (from `from`), answered within a second or not. */
function ping(ns: string, to: string, from?: string): boolean {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-n', '-c', '1', '-W', '1', ...(from ? ['-I', from] : []), to], { timeout: 5000 });
  return r.status === 0;
}

const SCRAPE = `
require('http').get({ host: '127.0.0.1', port: Number(process.argv[1]), path: '/metrics' }, (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => process.stdout.write(body));
}).on('error', (e) => { console.error(e.message); process.exit(1); });
`;

function sample(m: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}): number {
  return m.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value ?? 0;
}

describe.runIf(enabled)('sgfw run --mode inline enforces Albert\'s default group between two interfaces', () => {
  beforeAll(async () => {
    net = createBridgeNet(tag, ALBERT_HOST, [ALBERT_MACHINE, STRANGER]);
    children.push(await tcpListen(net.inside, ALBERT_HOST, 22));
    children.push(await tcpListen(net.inside, ALBERT_HOST, 8080));
    children.push(await tcpListen(net.outside, STRANGER, 8080));
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (net) destroyBridgeNet(net);
  });

  it.each(['afpacket', 'pcap'])('with --capture %s: passes ARP, lets SSH in from Albert\'s machine only and Albert\'s own connections out', async (capture) => {
    writeState();
    // each run must see ARP cross the bridge: forget what an earlier run resolved
    for (const ns of [net!.outside, net!.inside]) inNs(ns, 'ip', ['neigh', 'flush', 'all']);
    const verdicts = join(dir, `verdicts-tcp-${capture}.jsonl`);
    const sgfw = await startSgfw('--state', stateFile, '--verdicts', verdicts, '--capture', capture);
    expect(sgfw.stderr()).toContain(`(capture: ${capture})`);
    // libpcap has no vnet headers: it says at start what must be off; afpacket forwards offloaded frames as they come
    if (capture === 'pcap') expect(sgfw.stderr()).toMatch(/"event":"offloads".*--capture pcap forwards frames without their offload header: keep GRO and LRO off on /);
    else expect(sgfw.stderr()).not.toContain('"event":"offloads"');
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, ALBERT_MACHINE)).toBe('connected');
    // ARP crossed the bridge both ways: the outside host learnt Albert's MAC
    expect(inNs(net!.outside, 'ip', ['neigh', 'show', ALBERT_HOST])).toMatch(/lladdr [0-9a-f:]{17}/);
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, STRANGER, 1000)).toBe('timeout');
    expect(await tcpConnect(net!.inside, STRANGER, 8080)).toBe('connected');
    expect(await stopProcess(sgfw.child, 'SIGINT')).toBe(0);

    const byReason = new Map<string, number>();
    for (const l of readFileSync(verdicts, 'utf8').split('\n').filter(Boolean)) {
      const { verdict, reason } = JSON.parse(l) as { verdict: string; reason: string };
      byReason.set(`${verdict} ${reason}`, (byReason.get(`${verdict} ${reason}`) ?? 0) + 1);
    }
    expect(byReason.get('allow not-ip')).toBeGreaterThanOrEqual(2); // ARP request and reply
    expect(byReason.get('allow rule')).toBeGreaterThanOrEqual(2); // SSH SYN in, Albert's SYN out
    expect(byReason.get('allow tracked')).toBeGreaterThanOrEqual(2); // their replies
    expect(byReason.get('drop ingress-no-rule')).toBeGreaterThanOrEqual(1); // the stranger's SYN
    expect(sgfw.stderr()).toMatch(/SIGINT: stopped; frames \d+ forwarded \d+ dropped [1-9]/);
  }, 60_000);

  it('judges PPPoE-carried IP, passes PPP control, and drops MPLS and LLC/SNAP IP it cannot judge (afpacket)', async () => {
    writeState();
    const verdicts = join(dir, 'verdicts-encapsulated.jsonl');
    const sgfw = await startSgfw('--state', stateFile, '--verdicts', verdicts, '--capture', 'afpacket');
    const dstMac = (JSON.parse(inNs(net!.inside, 'ip', ['-j', 'link', 'show', 'dev', net!.hostInside])) as { address: string }[])[0]!.address;
    const markers = ['sgin-pppoe-allowed', 'sgin-pppoe-denied', 'sgin-pppoe-lcp', 'sgin-pppoe-vj', 'sgin-mpls', 'sgin-snap'];
    const syn = (src: string, i: number): object => ({ dstMac, src, dst: ALBERT_HOST, proto: 'tcp', sport: 41000 + i, dport: 22, flags: 'S', payload: markers[i] });
    const seen = await crossing(net!, [
      { ...syn(ALBERT_MACHINE, 0), pppoe: true }, { ...syn(STRANGER, 1), pppoe: true },
      // LCP (whatever it carries) is PPP's own: not IP, passed as ARP is
      { ...syn(STRANGER, 2), pppoe: 0xc021 },
      // IP no verdict can read: dropped even from Albert's machine
      { ...syn(ALBERT_MACHINE, 3), pppoe: 0x002f }, { ...syn(ALBERT_MACHINE, 4), wrap: { etherType: 0x8847, prefix: MPLS_LABEL } },
      { ...syn(ALBERT_MACHINE, 5), wrap: { etherType: 'length', prefix: SNAP_IPV4 } },
    ], markers, children);
    expect(seen).toEqual(['sgin-pppoe-allowed', 'sgin-pppoe-lcp']);
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    const lines = readFileSync(verdicts, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { verdict: string; reason: string });
    const count = (v: string): number => lines.filter((l) => `${l.verdict} ${l.reason}` === v).length;
    expect(count('drop unsupported-link')).toBe(3); // VJ, MPLS, SNAP
    expect(count('drop ingress-no-rule')).toBe(1); // the stranger's SYN in PPPoE
    expect(count('allow rule')).toBeGreaterThanOrEqual(1); // Albert's machine's in PPPoE
    expect(count('allow not-ip')).toBeGreaterThanOrEqual(1); // LCP
  }, 60_000);

  it('ping follows the ICMP rules, and SIGHUP brings a new one in', async () => {
    writeState();
    const sgfw = await startSgfw('--state', stateFile);
    expect(ping(net!.inside, STRANGER)).toBe(true); // out by the egress rule, the reply tracked
    expect(ping(net!.outside, ALBERT_HOST, ALBERT_MACHINE)).toBe(false);

    writeState([{ IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: `${ALBERT_MACHINE}/32` }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    const reloaded = waitFor(sgfw.child, 'stderr', '"event":"reload"', 10_000);
    sgfw.child.kill('SIGHUP');
    await reloaded;
    expect(ping(net!.outside, ALBERT_HOST, ALBERT_MACHINE)).toBe(true);
    expect(ping(net!.outside, ALBERT_HOST, STRANGER)).toBe(false);
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
  }, 60_000);

  it('serves metrics counting frames per side and by interface and reason', async () => {
    writeState();
    const sgfw = await startSgfw('--state', stateFile, '--metrics', `127.0.0.1:${METRICS_PORT}`);
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, STRANGER, 1000)).toBe('timeout');
    const m = parseExposition(inNs(net!.middle, process.execPath, ['-e', SCRAPE, String(METRICS_PORT)]));
    expect(sample(m, 'sgfw_packets_total', { interface: ENI, verdict: 'drop', reason: 'ingress-no-rule' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'sgfw_inline_frames_dropped_total', { side: 'outside' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'sgfw_inline_frames_received_total', { side: 'outside', device: net!.middleOutside })).toBeGreaterThanOrEqual(1);
    expect(m.has('sgfw_nfqueue_packets_total')).toBe(false);
    // the default capture (afpacket) exports the kernel's own counters of each socket
    expect(sample(m, 'sgfw_capture_packets_total', { side: 'outside', device: net!.middleOutside })).toBeGreaterThanOrEqual(1);
    expect(m.get('sgfw_capture_drops_total')?.samples.length).toBe(2);
    await stopProcess(sgfw.child, 'SIGTERM');
    const logs = sgfw.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = logs.find((l) => l.event === 'start');
    expect(start).toMatchObject({ mode: 'inline', capture: 'afpacket', interfaces: [ENI] });
    // CI builds the hugepages addon: the table is mapped by it (on huge pages unless THP is off).
    expect(['huge-pages', 'mapped']).toContain(start?.conntrackMemory);
    expect(logs.find((l) => l.event === 'drop')).toMatchObject({ from: 'outside', reason: 'ingress-no-rule', src: STRANGER, dstPort: 22 });
    expect(logs.find((l) => l.event === 'capabilities-dropped')).toMatchObject({ dropped: true, kept: [12, 13] });
  }, 60_000);

  it('with --listen, an aws CLI call opens a port for the next connection', async () => {
    writeState();
    const stateDir = join(dir, 'state');
    const credentials = createCredentials(stateDir);
    const sgfw = await startSgfw('--state', stateFile, '--state-dir', stateDir, '--listen', '127.0.0.1:0');
    // The API listens on the middle namespace's loopback: the CLI runs there too.
    const aws = awsEc2(apiEndpoint(sgfw.stderr()), credentials, { netns: net!.middle });
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 8080, STRANGER, 1000)).toBe('timeout');
    const r = await aws('authorize-security-group-ingress', '--group-id', GROUP, '--protocol', 'tcp', '--port', '8080', '--cidr', `${STRANGER}/32`);
    expect(r.code, r.stderr).toBe(0);
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 8080, STRANGER)).toBe('connected');
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
  }, 90_000);
});
