// `sgfw run --mode inline --capture nfqueue` on a real kernel: the middle namespace's kernel bridges
// the two veths (a bridge sgfw creates) and queues every IP packet crossing it to sgfw's workers
// (br_netfilter → iptables → NFQUEUE). Albert (seed 000) inside, his machine and a stranger outside,
// as inline.test.ts. Checked: ARP crosses, Albert's SSH and its replies pass and the stranger's is
// dropped; VLAN-tagged and PPPoE IP is judged and a tag in a tag, MPLS, LLC/SNAP IP and VJ-compressed
// PPP dropped (never bridged unjudged); kernel
// conntrack stays out of it; a clean stop puts the host back as it was, a SIGKILL leaves the link
// closed and the next start clears the leftovers; SIGHUP, metrics, status and the flow log work as
// with afpacket; bad interfaces fail the start in one line. Needs
// root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inlineInstanceNames } from '../../../src/live/inline-names.js';
import { parseExposition } from '../../observe/exposition.js';
import { inNs, spawnInNs, stopProcess, tcpConnect, tcpListen, waitFor } from '../host-mode/netns.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet } from './bridge-netns.js';
import { crossing as crossingNet, MPLS_LABEL, SNAP_IPV4 } from './frames-across.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const ALBERT_HOST = '10.0.15.10';
const ALBERT_MACHINE = '10.0.15.20';
const STRANGER = '10.0.15.21';
/** in the middle namespace: its own loopback */
const METRICS_PORT = 9472;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-inline-nfq-'));
const stateFile = join(dir, 'albert.json');
const tag = String(process.pid % 100000);
let net: BridgeNet | null = null;
const children: ChildProcess[] = [];
const running: ChildProcess[] = [];

/** Albert's seed state at the namespace's addresses: SSH from his machine only (and from `alsoSsh`). */
function writeState(alsoSsh: string[] = []): void {
  const state = seedStateAt('albert', ALBERT_HOST);
  state.SecurityGroups[0].IpPermissions.find((p: { FromPort?: number }) => p.FromPort === 22).IpRanges = [ALBERT_MACHINE, ...alsoSsh].map((a) => ({ CidrIp: `${a}/32` }));
  writeFileSync(stateFile, JSON.stringify(state));
}

/** `sgfw status --metrics` against the middle namespace's sgfw: its JSON. */
function status(): { mode: string; judged?: unknown } {
  return JSON.parse(inNs(net!.middle, process.execPath, [ENTRY, 'status', '--metrics', `127.0.0.1:${METRICS_PORT}`, '--json'])) as { mode: string };
}

function scrape(): ReturnType<typeof parseExposition> {
  const js = `require('http').get({ host: '127.0.0.1', port: ${METRICS_PORT}, path: '/metrics' }, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => process.stdout.write(b)); })`;
  return parseExposition(inNs(net!.middle, process.execPath, ['-e', js]));
}

function sample(m: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}): number {
  return m.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value ?? 0;
}

/** Sends hand-made frames from the outside host; resolves with the markers the inside host received. */
function crossing(specs: object[], markers: string[]): Promise<string[]> {
  return crossingNet(net!, specs, markers, children);
}

interface Sgfw {
  child: ChildProcess;
  stderr(): string;
}

function launch(...extra: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawnInNs(net!.middle, process.execPath, [
    ENTRY, 'run', '--mode', 'inline', '--capture', 'nfqueue', '--inside', net!.middleInside, '--outside', net!.middleOutside, '--state', stateFile, ...extra,
  ]);
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, stderr: () => err };
}

async function startSgfw(...extra: string[]): Promise<Sgfw> {
  const s = launch('--workers', '2', ...extra);
  running.push(s.child);
  await waitFor(s.child, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
  return s;
}

function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.on('exit', (code) => resolve(code))));
}

/** The middle namespace as sgfw found it: what a stop must give back. */
function middleState(): string {
  const links = (JSON.parse(inNs(net!.middle, 'ip', ['-j', 'link', 'show'])) as { ifname: string; flags: string[]; master?: string }[])
    .map((l) => `${l.ifname} ${l.flags.includes('UP') ? 'up' : 'down'} ${l.master ?? '-'}`)
    .sort();
  const sysctls = ['bridge-nf-filter-vlan-tagged', 'bridge-nf-filter-pppoe-tagged'].map((k) => `${k}=${inNs(net!.middle, 'cat', [`/proc/sys/net/bridge/${k}`]).trim()}`);
  const rules = ['iptables', 'ip6tables'].map((t) => inNs(net!.middle, t, ['-w', '-S']).trim());
  // (iptables-nft leaves its tables behind, empty, once used: no rule of ours is in them)
  const nft = inNs(net!.middle, 'nft', ['list', 'tables']).split('\n').filter((t) => !/^table ip6? filter$/.test(t)).join('\n').trim();
  return [...links, ...sysctls, ...rules, nft].join('\n');
}

describe.runIf(enabled)('sgfw run --mode inline --capture nfqueue: the kernel bridges, sgfw judges every IP packet', () => {
  let before = '';

  beforeAll(async () => {
    net = createBridgeNet(tag, ALBERT_HOST, [ALBERT_MACHINE, STRANGER], 'sgnq');
    // one port down: a stop must leave it down again
    inNs(net.middle, 'ip', ['link', 'set', net.middleInside, 'down']);
    children.push(await tcpListen(net.inside, ALBERT_HOST, 22));
    children.push(await tcpListen(net.outside, STRANGER, 8080));
    writeState();
    before = middleState();
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (net) destroyBridgeNet(net);
  });

  it('passes ARP, lets SSH in from Albert\'s machine only and his connections out, judges VLAN-tagged IP, drops QinQ, and puts the host back on a stop', async () => {
    const verdicts = join(dir, 'verdicts.jsonl');
    const flowLog = join(dir, 'flows.log');
    const sgfw = await startSgfw('--verdicts', verdicts, '--metrics', `127.0.0.1:${METRICS_PORT}`, '--flow-log', flowLog);
    // its queues by default derived from the interface pair, apart from host mode's 0
    const { queueBase, table } = inlineInstanceNames(net!.middleInside, net!.middleOutside);
    expect(sgfw.stderr()).toContain(`(capture: nfqueue, the kernel bridge with NFQUEUE ${queueBase}:${queueBase + 1}, 2 workers)`);
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, ALBERT_MACHINE)).toBe('connected');
    // ARP crossed the bridge (the kernel's, unqueued: not IP)
    expect(inNs(net!.outside, 'ip', ['neigh', 'show', ALBERT_HOST])).toMatch(/lladdr [0-9a-f:]{17}/);
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, STRANGER, 1000)).toBe('timeout');
    expect(await tcpConnect(net!.inside, STRANGER, 8080)).toBe('connected');
    // VLAN-tagged IP is judged as untagged IP is (br_netfilter hands it to iptables: bridge-nf-filter-vlan-tagged);
    // a tag in a tag (QinQ), which iptables would never see, is dropped by the guard table
    const dstMac = (JSON.parse(inNs(net!.inside, 'ip', ['-j', 'link', 'show', 'dev', net!.hostInside])) as { address: string }[])[0]!.address;
    const syn = (src: string, vlan: number | number[] | undefined, marker: string): object => ({ dstMac, vlan, src, dst: ALBERT_HOST, proto: 'tcp', sport: 40000 + markers.indexOf(marker), dport: 22, flags: 'S', payload: marker });
    const markers = ['sgnq-plain', 'sgnq-vlan-allowed', 'sgnq-vlan-denied', 'sgnq-qinq-allowed', 'sgnq-pppoe-allowed', 'sgnq-pppoe-denied', 'sgnq-pppoe-vj', 'sgnq-mpls', 'sgnq-snap', 'sgnq-vlan-snap'];
    const seen = await crossing([
      syn(ALBERT_MACHINE, undefined, markers[0]!), syn(ALBERT_MACHINE, 7, markers[1]!), syn(STRANGER, 7, markers[2]!), syn(ALBERT_MACHINE, [7, 8], markers[3]!),
      // PPPoE-carried IP is judged too (bridge-nf-filter-pppoe-tagged)
      { ...syn(ALBERT_MACHINE, undefined, markers[4]!), pppoe: true }, { ...syn(STRANGER, undefined, markers[5]!), pppoe: true },
      // IP iptables would never see is dropped by the guard table, allowed or not: VJ-compressed PPP, MPLS, LLC/SNAP
      { ...syn(ALBERT_MACHINE, undefined, markers[6]!), pppoe: 0x002f }, { ...syn(ALBERT_MACHINE, undefined, markers[7]!), wrap: { etherType: 0x8847, prefix: MPLS_LABEL } },
      { ...syn(ALBERT_MACHINE, undefined, markers[8]!), wrap: { etherType: 'length', prefix: SNAP_IPV4 } },
      // the same in a VLAN tag: the tag (VLAN 7), an 802.3 length, the LLC/SNAP header
      { ...syn(ALBERT_MACHINE, undefined, markers[9]!), wrap: { etherType: 0x8100, prefix: `00070040${SNAP_IPV4}` } },
    ], markers);
    expect(seen).toEqual(['sgnq-plain', 'sgnq-pppoe-allowed', 'sgnq-vlan-allowed']);
    const guard = inNs(net!.middle, 'nft', ['list', 'table', 'bridge', table]);
    for (const rule of ['two tags', 'MPLS, MAC-in-MAC', 'PPP compressed, encrypted', 'LLC/SNAP IP: ', 'LLC/SNAP IP in a tag']) expect(guard).toMatch(new RegExp(`counter packets [1-9]\\d* bytes \\d+ drop comment "${rule}`));
    // the kernel's conntrack is not engaged on the bridged path (nothing here asks for it)
    const count = '/proc/sys/net/netfilter/nf_conntrack_count';
    if (existsSync(count)) expect(inNs(net!.middle, 'cat', [count]).trim()).toBe('0');
    // metrics and status as the AF_PACKET bridge's, summed over the workers, and the queue's
    const m = scrape();
    expect(sample(m, 'sgfw_inline_frames_dropped_total', { side: 'outside', device: net!.middleOutside })).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sgfw_inline_frames_forwarded_total', { side: 'inside', device: net!.middleInside })).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sgfw_packets_total', { verdict: 'drop', reason: 'ingress-no-rule' })).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sgfw_nfqueue_packets_total')).toBeGreaterThanOrEqual(8);
    expect(status()).toMatchObject({ mode: 'inline' });
    expect(await stopProcess(sgfw.child, 'SIGINT')).toBe(0);
    expect(sgfw.stderr()).toMatch(/SIGINT: bridge removed; frames \d+ forwarded \d+ dropped [1-9]/);
    expect(middleState()).toBe(before);

    const lines = readFileSync(verdicts, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { verdict: string; reason: string });
    const count2 = (v: string): number => lines.filter((l) => `${l.verdict} ${l.reason}` === v).length;
    expect(count2('allow rule')).toBeGreaterThanOrEqual(5); // SSH SYNs in (connected, hand-made untagged, tagged and in PPPoE), Albert's SYN out
    expect(count2('allow tracked')).toBeGreaterThanOrEqual(2);
    expect(count2('drop ingress-no-rule')).toBeGreaterThanOrEqual(3); // the stranger's SYNs, untagged, tagged and in PPPoE
    expect(count2('allow not-ip')).toBe(0); // ARP is not queued
    // the flow log (written at the stop): Albert's machine's SSH accepted, the stranger's rejected
    const flows = readFileSync(flowLog, 'utf8');
    expect(flows).toMatch(new RegExp(`${ALBERT_MACHINE} ${ALBERT_HOST} \\d+ 22 6 .* ACCEPT OK`));
    expect(flows).toMatch(new RegExp(`${STRANGER} ${ALBERT_HOST} \\d+ 22 6 .* REJECT OK`));
  }, 60_000);

  it('after a SIGKILL the link stays closed; the next start clears the leftovers, reloads on SIGHUP, and a stop restores the host', async () => {
    const first = launch('--workers', '1');
    await waitFor(first.child, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, ALBERT_MACHINE)).toBe('connected');
    first.child.kill('SIGKILL');
    await exited(first.child);
    // fail closed: the bridge and its rules stay, and no one reads the queue
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, ALBERT_MACHINE, 1000)).toBe('timeout');
    const second = await startSgfw();
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, ALBERT_MACHINE)).toBe('connected');
    // SIGHUP: the stranger's SSH is allowed from the next packet on, on both workers
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, STRANGER, 1000)).toBe('timeout');
    writeState([STRANGER]);
    const reloaded = waitFor(second.child, 'stderr', '"event":"reload"', 10_000);
    second.child.kill('SIGHUP');
    await reloaded;
    expect(await tcpConnect(net!.outside, ALBERT_HOST, 22, STRANGER)).toBe('connected');
    writeState();
    expect(await stopProcess(second.child, 'SIGTERM')).toBe(0);
    expect(middleState()).toBe(before);
  }, 60_000);

  it('refuses a missing interface, one in another bridge, or a host without iptables in one line, changing nothing', async () => {
    const missing = spawnSync('ip', ['netns', 'exec', net!.middle, process.execPath, ENTRY, 'run', '--mode', 'inline', '--capture', 'nfqueue', '--inside', 'nosuchif0', '--outside', net!.middleOutside, '--state', stateFile, '--workers', '1', '--log-format', 'pretty'], { encoding: 'utf8', timeout: 20_000 });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nosuchif0: no such interface');
    inNs(net!.middle, 'ip', ['link', 'add', 'name', 'otherbr', 'type', 'bridge']);
    inNs(net!.middle, 'ip', ['link', 'set', 'dev', net!.middleOutside, 'master', 'otherbr']);
    try {
      const enslaved = spawnSync('ip', ['netns', 'exec', net!.middle, process.execPath, ENTRY, 'run', '--mode', 'inline', '--capture', 'nfqueue', '--inside', net!.middleInside, '--outside', net!.middleOutside, '--state', stateFile, '--workers', '1', '--log-format', 'pretty'], { encoding: 'utf8', timeout: 20_000 });
      expect(enslaved.status).toBe(2);
      expect(enslaved.stderr).toContain(`${net!.middleOutside}: already enslaved to otherbr`);
    } finally {
      inNs(net!.middle, 'ip', ['link', 'del', 'otherbr']);
    }
    // no iptables on the PATH (ip, nft and the rest there): one line, exit 1, nothing left changed
    const bin = join(dir, 'bin-no-iptables');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['ip', 'nft', 'sysctl']) {
      const at = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (at && !existsSync(join(bin, tool))) symlinkSync(at, join(bin, tool));
    }
    const noIptables = spawnSync('ip', ['netns', 'exec', net!.middle, process.execPath, ENTRY, 'run', '--mode', 'inline', '--capture', 'nfqueue', '--inside', net!.middleInside, '--outside', net!.middleOutside, '--state', stateFile, '--workers', '1', '--log-format', 'pretty'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, PATH: bin } });
    expect(noIptables.status).toBe(1);
    expect(noIptables.stderr).toContain('FATAL iptables: not found: --capture nfqueue needs ip, iptables, ip6tables and nft (packages iproute2, iptables, nftables)');
    expect(middleState()).toBe(before);
  }, 60_000);
});
