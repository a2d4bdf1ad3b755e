// Several `sgfw run --mode inline --capture nfqueue` instances on one box, as the
// `sgfw-inline@INSIDE:OUTSIDE` units run them: two interface pairs in one middle namespace, each
// instance with its own bridge, chain, guard table and queues (named from its pair), both enforcing.
// Stopping one leaves the other enforcing with its pieces intact (the shared br_netfilter switches
// stay set until the last one leaves); a SIGKILLed one restarts clearing only its own leftovers;
// a queue another process has bound, or another chain still sends to (a crashed instance's), fails
// the start in one line and changes nothing. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inlineInstanceNames } from '../../../src/live/inline-names.js';
import { inNs, spawnInNs, stopProcess, tcpConnect, tcpListen, waitFor } from '../host-mode/netns.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet } from './bridge-netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
/** pair A's hosts, and pair B's (each pair its own link: the same subnet would do, these read better) */
const A = { host: '10.0.17.10', machine: '10.0.17.20', stranger: '10.0.17.21' };
const B = { host: '10.0.18.10', machine: '10.0.18.20', stranger: '10.0.18.21' };

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-inline-nfq-multi-'));
const tag = String(process.pid % 100000);
let netA: BridgeNet | null = null;
let netB: BridgeNet | null = null;
const children: ChildProcess[] = [];
const running: ChildProcess[] = [];
const SYSCTLS = ['bridge-nf-filter-vlan-tagged', 'bridge-nf-filter-pppoe-tagged'];

/** Albert's seed state, his ENI holding both pairs' host addresses, SSH from each pair's machine only. */
function writeState(): string {
  const file = join(dir, 'albert.json');
  const state = seedStateAt('albert', A.host);
  state.NetworkInterfaces[0].PrivateIpAddresses.push({ Primary: false, PrivateIpAddress: B.host });
  state.SecurityGroups[0].IpPermissions.find((p: { FromPort?: number }) => p.FromPort === 22).IpRanges = [A.machine, B.machine].map((a) => ({ CidrIp: `${a}/32` }));
  writeFileSync(file, JSON.stringify(state));
  return file;
}

let stateFile = '';

function launch(net: BridgeNet): { child: ChildProcess; stderr: () => string } {
  const child = spawnInNs(net.middle, process.execPath, [
    ENTRY, 'run', '--mode', 'inline', '--capture', 'nfqueue', '--inside', net.middleInside, '--outside', net.middleOutside, '--state', stateFile, '--workers', '1',
  ]);
  children.push(child);
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, stderr: () => err };
}

async function start(net: BridgeNet): Promise<{ child: ChildProcess; stderr: () => string }> {
  const s = launch(net);
  await waitFor(s.child, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
  return s;
}

function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.on('exit', (code) => resolve(code))));
}

/** One instance's kernel pieces in the middle namespace: its bridge and ports, its chain's rules, its guard table. */
function pieces(net: BridgeNet): string {
  const n = inlineInstanceNames(net.middleInside, net.middleOutside);
  const ports = [net.middleInside, net.middleOutside].map((dev) => {
    const l = (JSON.parse(inNs(net.middle, 'ip', ['-j', 'link', 'show', 'dev', dev])) as { flags: string[]; master?: string }[])[0]!;
    return `${dev} ${l.flags.includes('UP') ? 'up' : 'down'} ${l.master ?? '-'}`;
  });
  const bridge = spawnSync('ip', ['netns', 'exec', net.middle, 'ip', '-d', 'link', 'show', 'dev', n.bridge], { encoding: 'utf8' }).stdout.match(/alias .*/)?.[0] ?? 'no bridge';
  const rules = ['iptables', 'ip6tables'].flatMap((t) => inNs(net.middle, t, ['-w', '-S']).split('\n').filter((l) => l.includes(n.chain)));
  const table = spawnSync('ip', ['netns', 'exec', net.middle, 'nft', 'list', 'table', 'bridge', n.table], { encoding: 'utf8' }).stdout.replace(/counter packets \d+ bytes \d+/g, 'counter');
  return [...ports, bridge, ...rules, table].join('\n');
}

/** The whole middle namespace: what the last stop must give back. */
function middleState(): string {
  const links = (JSON.parse(inNs(netA!.middle, 'ip', ['-j', 'link', 'show'])) as { ifname: string; flags: string[]; master?: string }[])
    .map((l) => `${l.ifname} ${l.flags.includes('UP') ? 'up' : 'down'} ${l.master ?? '-'}`)
    .sort();
  const rules = ['iptables', 'ip6tables'].map((t) => inNs(netA!.middle, t, ['-w', '-S']).trim());
  const nft = inNs(netA!.middle, 'nft', ['list', 'tables']).split('\n').filter((t) => !/^table ip6? filter$/.test(t)).join('\n').trim();
  return [...links, sysctls(), ...rules, nft].join('\n');
}

function sysctls(): string {
  return SYSCTLS.map((k) => `${k}=${inNs(netA!.middle, 'cat', [`/proc/sys/net/bridge/${k}`]).trim()}`).join(' ');
}

/** Both hosts of a pair: SSH from its machine crosses, the stranger's does not. */
async function enforcing(net: BridgeNet, h: typeof A): Promise<void> {
  expect(await tcpConnect(net.outside, h.host, 22, h.machine), `${h.machine} → ${h.host}`).toBe('connected');
  expect(await tcpConnect(net.outside, h.host, 22, h.stranger, 800), `${h.stranger} → ${h.host}`).toBe('timeout');
}

/** `sgfw run` in the middle namespace, to its exit: status and stderr. */
function runOnce(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', netA!.middle, process.execPath, ENTRY, 'run', ...args, '--state', stateFile, '--workers', '1', '--log-format', 'pretty'], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

describe.runIf(enabled)('several inline --capture nfqueue instances on one box', () => {
  let before = '';

  beforeAll(async () => {
    netA = createBridgeNet(tag, A.host, [A.machine, A.stranger], 'sgmua');
    netB = createBridgeNet(tag, B.host, [B.machine, B.stranger], 'sgmub', 'off', netA.middle);
    children.push(await tcpListen(netA.inside, A.host, 22), await tcpListen(netB.inside, B.host, 22));
    stateFile = writeState();
    before = middleState();
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (netB) destroyBridgeNet(netB);
    if (netA) destroyBridgeNet(netA);
  });

  it('both enforce; a queue taken is refused in one line; a crash and a stop, either instance, leave the other whole', async () => {
    const nA = inlineInstanceNames(netA!.middleInside, netA!.middleOutside);
    const nB = inlineInstanceNames(netB!.middleInside, netB!.middleOutside);
    const a = await start(netA!);
    let b = await start(netB!);
    // each its own queue, derived from its pair
    expect(a.stderr()).toContain(`the kernel bridge with NFQUEUE ${nA.queueBase}:${nA.queueBase}, 1 workers`);
    expect(b.stderr()).toContain(`the kernel bridge with NFQUEUE ${nB.queueBase}:${nB.queueBase}, 1 workers`);
    await enforcing(netA!, A);
    await enforcing(netB!, B);
    expect(sysctls()).toBe(SYSCTLS.map((k) => `${k}=1`).join(' '));
    const piecesA = pieces(netA!);
    expect(piecesA).toContain(`${netA!.middleInside} up ${nA.bridge}`);
    expect(piecesA).toContain(`-A ${nA.chain} -m physdev --physdev-in ${netA!.middleInside}`);
    expect(piecesA).toContain(`table bridge ${nA.table}`);

    // host mode (or anything) on a queue an instance has bound: one line, exit 1, nothing changed
    const held = middleState();
    const taken = runOnce(['--mode', 'host', '--queue', String(nA.queueBase)]);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(`NFQUEUE ${nA.queueBase} is already bound by another process (another sgfw: host mode or an inline instance, or another NFQUEUE reader): give this one other queues (--queue N)`);
    expect(taken.stderr.trim().split('\n').filter((l) => /FATAL|ERROR/.test(l))).toHaveLength(1);
    expect(middleState()).toBe(held);

    // B killed: its link closed (its leftovers in place), A untouched and enforcing
    b.child.kill('SIGKILL');
    await exited(b.child);
    expect(await tcpConnect(netB!.outside, B.host, 22, B.machine, 800)).toBe('timeout');
    await enforcing(netA!, A);
    expect(pieces(netA!)).toBe(piecesA);
    // a queue a crashed instance's chain still sends to is not taken over either
    const leftover = runOnce(['--mode', 'host', '--queue', String(nB.queueBase)]);
    expect(leftover.status).toBe(1);
    expect(leftover.stderr).toContain(`NFQUEUE ${nB.queueBase} is already the target of iptables chain ${nB.chain} (another sgfw: host mode, an inline instance, or the leftovers of one that crashed): give this one other queues (--queue N)`);
    expect(await tcpConnect(netB!.outside, B.host, 22, B.machine, 800)).toBe('timeout');
    // B again: clears its own leftovers only
    b = await start(netB!);
    await enforcing(netB!, B);
    await enforcing(netA!, A);
    expect(pieces(netA!)).toBe(piecesA);

    // A stops first: B keeps enforcing with its pieces and the shared switches
    const piecesB = pieces(netB!);
    expect(await stopProcess(a.child, 'SIGTERM')).toBe(0);
    expect(pieces(netA!)).toBe(`${netA!.middleInside} up -\n${netA!.middleOutside} up -\nno bridge\n`);
    expect(pieces(netB!)).toBe(piecesB);
    expect(sysctls()).toBe(SYSCTLS.map((k) => `${k}=1`).join(' '));
    await enforcing(netB!, B);
    // the last one leaves: the namespace as it was, switches included
    expect(await stopProcess(b.child, 'SIGTERM')).toBe(0);
    expect(middleState()).toBe(before);
  }, 90_000);
});
