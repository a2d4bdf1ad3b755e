// `sgfw run --mode inline` between interfaces whose offloads are on, as they come: the hosts'
// veths send 64 KB TCP super-frames with checksums left to complete (TSO, checksum offload), or
// the bridge's own veths merge wire-sized frames (GRO), as a NIC does. Through the AF_PACKET
// sockets' vnet headers each super-frame is judged once and forwarded whole; a bulk transfer each
// way must arrive byte for byte, and a stranger must stay out. Before the vnet headers, no TCP
// connection got through at all (the receiving host dropped every segment for its checksum).
// Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, spawnInNs, stopProcess, tcpConnect, waitFor } from '../host-mode/netns.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet, type HostOffloads } from './bridge-netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const ALBERT_HOST = '10.0.6.10';
const ALBERT_MACHINE = '10.0.6.20';
const STRANGER = '10.0.6.21';
const ALBERT_HOST6 = '2001:db8:6::10';
const ALBERT_MACHINE6 = '2001:db8:6::20';
const PORT_IN = 9000;
const PORT_OUT = 9001;
const BYTES = 24 << 20;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-inline-offloads-'));
const stateFile = join(dir, 'albert.json');
const payloadFile = join(dir, 'payload.bin');
const tag = String(process.pid % 100000);
const running: ChildProcess[] = [];

/** Albert's seed state at these addresses (an IPv6 one too), with TCP 9000 open to his machine by both (egress: all IPv4). */
function writeState(): void {
  const state = seedStateAt('albert', ALBERT_HOST);
  const eni = state.NetworkInterfaces[0];
  eni.Ipv6Addresses = [{ Ipv6Address: ALBERT_HOST6 }];
  state.SecurityGroups[0].IpPermissions.push({
    IpProtocol: 'tcp', FromPort: PORT_IN, ToPort: PORT_IN, IpRanges: [{ CidrIp: `${ALBERT_MACHINE}/32` }], Ipv6Ranges: [{ CidrIpv6: `${ALBERT_MACHINE6}/128` }],
    PrefixListIds: [], UserIdGroupPairs: [],
  });
  writeFileSync(stateFile, JSON.stringify(state));
}

// Receives one connection: prints its byte count and SHA-256 when it ends.
const RECEIVE = `
const [addr, port] = process.argv.slice(1);
const server = require('net').createServer((s) => {
  const hash = require('crypto').createHash('sha256');
  let bytes = 0;
  s.on('data', (d) => { bytes += d.length; hash.update(d); });
  s.on('end', () => { console.log(JSON.stringify({ bytes, sha256: hash.digest('hex') })); s.end(); server.close(); });
});
server.listen(Number(port), addr, () => console.log('listening'));
`;
// Sends the file from `from`, then half-closes; exits once the receiver has closed too.
const SEND = `
const [host, port, from, file] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port), localAddress: from }, () => require('fs').createReadStream(file).pipe(s));
s.on('error', (e) => { console.error(e.message); process.exit(1); });
s.on('close', () => process.exit(0));
`;

/** Sends the payload from `fromNs` (address `from`) to `to:port` in `toNs`; resolves with what the receiver counted. */
async function transfer(fromNs: string, from: string, toNs: string, to: string, port: number): Promise<{ bytes: number; sha256: string }> {
  const receiver = spawnInNs(toNs, process.execPath, ['-e', RECEIVE, to, String(port)]);
  running.push(receiver);
  await waitFor(receiver, 'stdout', 'listening', 5000);
  const result = waitFor(receiver, 'stdout', '"sha256"', 60_000);
  const sender = spawnInNs(fromNs, process.execPath, ['-e', SEND, to, String(port), from, payloadFile]);
  running.push(sender);
  const line = (await result).split('\n').find((l) => l.includes('sha256'))!;
  return JSON.parse(line) as { bytes: number; sha256: string };
}

async function startSgfw(net: BridgeNet, workers: number): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawnInNs(net.middle, process.execPath, [
    ENTRY, 'run', '--mode', 'inline', '--inside', net.middleInside, '--outside', net.middleOutside, '--state', stateFile, '--workers', String(workers),
  ]);
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(child, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
  return { child, stderr: () => err };
}

function logRecord(stderr: string, event: string): Record<string, unknown> | undefined {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === event);
}

const payload = randomBytes(BYTES);
const expected = { bytes: BYTES, sha256: createHash('sha256').update(payload).digest('hex') };

describe.runIf(enabled)('inline mode between interfaces with their offloads on', () => {
  const nets = new Map<HostOffloads, BridgeNet>();

  beforeAll(() => {
    writeState();
    writeFileSync(payloadFile, payload);
  });

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGKILL');
  });

  afterAll(() => {
    for (const net of nets.values()) destroyBridgeNet(net);
  });

  const netFor = (offloads: HostOffloads): BridgeNet => {
    let net = nets.get(offloads);
    if (!net) {
      net = createBridgeNet(`${offloads[0]}${tag}`, ALBERT_HOST, [ALBERT_MACHINE, STRANGER], 'sgof', offloads);
      nets.set(offloads, net);
      // IPv6 too (no duplicate address detection to wait for): TCP/IPv6 super-frames
      inNs(net.inside, 'ip', ['addr', 'add', `${ALBERT_HOST6}/64`, 'dev', net.hostInside, 'nodad']);
      inNs(net.outside, 'ip', ['addr', 'add', `${ALBERT_MACHINE6}/64`, 'dev', net.hostOutside, 'nodad']);
    }
    return net;
  };

  it.each([
    ['defaults' as const, 1],
    ['gro' as const, 1],
    ['defaults' as const, 2],
  ])('offloads %s, --workers %d: 24 MB each way arrive byte for byte, super-frames forwarded whole; a stranger stays out', async (offloads, workers) => {
    const net = netFor(offloads);
    if (offloads === 'defaults') {
      // the hosts' veths as they come: segmentation and checksums left to offload
      expect(inNs(net.outside, 'ethtool', ['-k', net.hostOutside])).toMatch(/tcp-segmentation-offload: on/);
    }
    const sgfw = await startSgfw(net, workers);
    expect(logRecord(sgfw.stderr(), 'start')).toMatchObject({ capture: 'afpacket', offloads: true });

    // In by the rule (Albert's machine to 9000), and out by the egress rule with its replies tracked.
    expect(await transfer(net.outside, ALBERT_MACHINE, net.inside, ALBERT_HOST, PORT_IN)).toEqual(expected);
    expect(await transfer(net.inside, ALBERT_HOST, net.outside, STRANGER, PORT_OUT)).toEqual(expected);
    // A stranger is refused at 9000 while the super-frames of Albert's flows pass.
    const listener = spawnInNs(net.inside, process.execPath, ['-e', RECEIVE, ALBERT_HOST, String(PORT_IN)]);
    running.push(listener);
    await waitFor(listener, 'stdout', 'listening', 5000);
    expect(await tcpConnect(net.outside, ALBERT_HOST, PORT_IN, STRANGER, 1000)).toBe('timeout');

    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    const stop = logRecord(sgfw.stderr(), 'stop')!;
    // Super-frames came in and went out whole: each stands for many wire segments.
    expect(stop.offloaded).toBeGreaterThan(0);
    expect(stop.offloadedSegments as number).toBeGreaterThan(2 * (stop.offloaded as number));
    expect(stop).toMatchObject({ truncated: 0, injectErrors: 0, failures: 0 });
    expect(stop.dropped).toBeGreaterThanOrEqual(1); // the stranger's SYN
  }, 120_000);

  it('TCP over IPv6, offloads as they come: 24 MB arrive byte for byte in IPv6 super-frames', async () => {
    const net = netFor('defaults');
    const sgfw = await startSgfw(net, 1);
    expect(await transfer(net.outside, ALBERT_MACHINE6, net.inside, ALBERT_HOST6, PORT_IN)).toEqual(expected);
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    const stop = logRecord(sgfw.stderr(), 'stop')!;
    expect(stop.offloaded).toBeGreaterThan(0);
    expect(stop).toMatchObject({ truncated: 0, injectErrors: 0, failures: 0 });
  }, 120_000);
});
