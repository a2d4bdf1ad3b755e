// `sgfw run --mode inline --workers 2`: each worker's AF_PACKET sockets in a PACKET_FANOUT group per
// interface, so the kernel spreads the flows over both workers, both directions of a flow to one.
// The same traffic (many TCP and UDP flows each way, allowed and dropped) gets the same outcome,
// flow by flow, through two workers as through one; an API call is in force on both workers by
// the time it answers (a connection right after it, on any of many flows, gets through; right after
// the revoke, none does); SIGTERM stops both cleanly. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AFPACKET_ADDON } from '../../../src/capture/afpacket.js';
import { createCredentials } from '../../support/serve-process.js';
import { spawnInNs, stopProcess, waitFor } from '../host-mode/netns.js';
import { apiEndpoint, awsEc2 } from '../../support/aws-cli.js';
import { tcpEchoServers, udpEchoServers } from '../support/traffic.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet } from './bridge-netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const INSIDE = '10.0.7.10';
const FRIEND = '10.0.7.20';
const STRANGER = '10.0.7.21';
/** the API test's clients: 16 addresses, since the fanout hash spreads address pairs (not ports) over the workers */
const API_FRIENDS = Array.from({ length: 16 }, (_, i) => `10.0.7.${64 + i}`);
const API_CIDR = '10.0.7.64/28';
const GROUP = 'sg-0a1b2c3d4e5f60001';
/** inside: TCP 7000 and UDP 7001 open to the friend, 7002 (both) and 7003 (TCP, opened by the API test) not */
const TCP_OPEN = 7000;
const UDP_OPEN = 7001;
const CLOSED = 7002;
const API_PORT = 7003;
/** outside: what the inside host reaches out to (egress allows everything, replies tracked) */
const OUT_TCP = 8080;
const OUT_UDP = 9000;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-inline-workers-'));
const tag = String(process.pid % 100000);
let net: BridgeNet | null = null;
const children: ChildProcess[] = [];
const running: ChildProcess[] = [];

function writeState(): string {
  const state = seedStateAt('albert', INSIDE);
  const friend = [{ CidrIp: `${FRIEND}/32` }];
  state.SecurityGroups[0].IpPermissions.push(
    { IpProtocol: 'tcp', FromPort: TCP_OPEN, ToPort: TCP_OPEN, IpRanges: friend, Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    { IpProtocol: 'udp', FromPort: UDP_OPEN, ToPort: UDP_OPEN, IpRanges: friend, Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
  );
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

/**
 * Many flows at once from one process: each `[proto, host, port, from]` gives 'connected' (TCP:
 * connected and its bytes echoed), 'reply' (UDP: echoed), or 'timeout'. In the order given.
 */
const FLOWS = `
const net = require('net'), dgram = require('dgram');
const [ms, specs] = [Number(process.argv[1]), JSON.parse(process.argv[2])];
const one = ([proto, host, port, from]) => new Promise((resolve) => {
  const t = setTimeout(() => { done('timeout'); }, ms);
  let closeIt = () => {};
  const done = (word) => { clearTimeout(t); closeIt(); resolve(word); };
  if (proto === 'tcp') {
    const s = net.connect({ host, port, localAddress: from });
    closeIt = () => s.destroy();
    s.on('connect', () => s.write('ping'));
    s.on('data', () => done('connected'));
    s.on('error', (e) => done('error:' + e.code));
  } else {
    const s = dgram.createSocket('udp4');
    closeIt = () => { try { s.close(); } catch {} };
    s.on('message', (m) => done(String(m) === 'echo:ping' ? 'reply' : 'wrong'));
    s.on('error', (e) => done('error:' + e.code));
    s.bind(0, from, () => { s.send('ping', port, host); setTimeout(() => { try { s.send('ping', port, host); } catch {} }, 300); });
  }
});
Promise.all(specs.map(one)).then((r) => { console.log(JSON.stringify(r)); process.exit(0); });
`;

type Flow = [proto: 'tcp' | 'udp', host: string, port: number, from: string];

function flows(ns: string, specs: readonly Flow[], ms = 2000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', FLOWS, String(ms), JSON.stringify(specs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', () => {
      try {
        resolve(JSON.parse(out) as string[]);
      } catch {
        reject(new Error(`flows from ${ns}: ${out} ${err}`));
      }
    });
  });
}

const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

/** The workload, in both directions: what each flow should get is in `expected`. */
async function workload(): Promise<{ inbound: string[]; outbound: string[] }> {
  const inboundSpecs: Flow[] = [
    ...times(16, (): Flow => ['tcp', INSIDE, TCP_OPEN, FRIEND]),
    ...times(16, (): Flow => ['udp', INSIDE, UDP_OPEN, FRIEND]),
    ...times(4, (): Flow => ['tcp', INSIDE, TCP_OPEN, STRANGER]),
    ...times(4, (): Flow => ['tcp', INSIDE, CLOSED, FRIEND]),
    ...times(4, (): Flow => ['udp', INSIDE, CLOSED, FRIEND]),
  ];
  const outboundSpecs: Flow[] = [...times(12, (): Flow => ['tcp', FRIEND, OUT_TCP, INSIDE]), ...times(12, (): Flow => ['udp', STRANGER, OUT_UDP, INSIDE])];
  const [inbound, outbound] = await Promise.all([flows(net!.outside, inboundSpecs), flows(net!.inside, outboundSpecs)]);
  return { inbound, outbound };
}

const EXPECTED = {
  inbound: [...times(16, () => 'connected'), ...times(16, () => 'reply'), ...times(12, () => 'timeout')],
  outbound: [...times(12, () => 'connected'), ...times(12, () => 'reply')],
};

interface Sgfw {
  child: ChildProcess;
  stderr(): string;
}

async function startSgfw(...extra: string[]): Promise<Sgfw> {
  const child = spawnInNs(net!.middle, process.execPath, [ENTRY, 'run', '--mode', 'inline', '--inside', net!.middleInside, '--outside', net!.middleOutside, ...extra]);
  children.push(child);
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(child, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
  return { child, stderr: () => err };
}

function stopRecord(stderr: string): Record<string, unknown> {
  const line = stderr.split('\n').find((l) => l.includes('"event":"stop"'));
  if (line === undefined) throw new Error(`no stop record in: ${stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe.runIf(enabled)('sgfw run --mode inline --workers 2: a fanout group per interface, one Dataplane per worker', () => {
  beforeAll(async () => {
    expect(existsSync(AFPACKET_ADDON.pathname), `${AFPACKET_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    net = createBridgeNet(tag, INSIDE, [FRIEND, STRANGER, ...API_FRIENDS], 'if');
    children.push(await tcpEchoServers(net.inside, [TCP_OPEN, CLOSED, API_PORT]));
    children.push(await udpEchoServers(net.inside, INSIDE, [UDP_OPEN, CLOSED]));
    children.push(await tcpEchoServers(net.outside, [OUT_TCP]));
    children.push(await udpEchoServers(net.outside, STRANGER, [OUT_UDP]));
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (net) destroyBridgeNet(net);
  });

  it('many flows each way pass and drop through two workers exactly as through one, and both workers carry them', async () => {
    const state = writeState();
    const outcomes: Record<string, { inbound: string[]; outbound: string[] }> = {};
    for (const workers of ['1', '2']) {
      const sgfw = await startSgfw('--state', state, '--capture', 'afpacket', '--workers', workers);
      outcomes[workers] = await workload();
      expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
      const stop = stopRecord(sgfw.stderr());
      expect(stop.failures).toBe(0);
      if (workers === '2') {
        expect(sgfw.stderr()).toContain('2 workers in a fanout group per interface');
        expect(stop.workers).toBe(2);
        // 84 flows of 4 address pairs and protocols over the fanout hash: both workers judged some
        expect(stop.perWorker).toHaveLength(2);
        for (const n of stop.perWorker as number[]) expect(n).toBeGreaterThan(0);
        expect(stop.frames).toBe((stop.perWorker as number[]).reduce((a, b) => a + b, 0));
      }
      expect(stop.dropped as number).toBeGreaterThan(0);
    }
    expect(outcomes['1']).toEqual(EXPECTED);
    expect(outcomes['2']).toEqual(outcomes['1']);
  }, 120_000);

  it('an API call is in force on both workers when it answers; a revoke too', async () => {
    const stateDir = join(dir, 'api-state');
    const credentials = createCredentials(stateDir);
    const sgfw = await startSgfw('--state', writeState(), '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--workers', '2');
    const aws = awsEc2(apiEndpoint(sgfw.stderr()), credentials, { netns: net!.middle });
    const many = (ms = 2000) => flows(net!.outside, API_FRIENDS.map((from): Flow => ['tcp', INSIDE, API_PORT, from]), ms);

    expect(new Set(await many(1000))).toEqual(new Set(['timeout']));
    const permission = ['--group-id', GROUP, '--protocol', 'tcp', '--port', String(API_PORT), '--cidr', API_CIDR];
    const authorized = await aws('authorize-security-group-ingress', ...permission);
    expect(authorized.code, authorized.stderr).toBe(0);
    expect(new Set(await many())).toEqual(new Set(['connected']));
    const revoked = await aws('revoke-security-group-ingress', ...permission);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(new Set(await many(1000))).toEqual(new Set(['timeout']));

    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    const stop = stopRecord(sgfw.stderr());
    expect(stop.signal).toBe('SIGTERM');
    expect(stop.workers).toBe(2);
    for (const n of stop.perWorker as number[]) expect(n).toBeGreaterThan(0);
  }, 120_000);
});
