// `sgfw run --mode host --workers 2`: an ICMP error from a third address (a router) about a flow is
// `related` whichever worker tracks the flow. NFQUEUE's queue hash is of the error's own address
// pair, so every error from the router lands on one queue while the flows it quotes are spread over
// both; the worker that gets an error it would drop asks the other (live/related-relay.ts). The
// host sends UDP to many peer addresses (egress allows it: flows tracked on both workers); the
// "router" answers each datagram with a forged port unreachable from its own address, which no
// ingress rule allows, and one more quoting a flow nobody sent. Each tracked flow's error reaches
// the host through two workers as through one; the untracked one never does. The same for IPv6,
// and for the errors path MTU discovery lives on (IPv4 fragmentation needed, ICMPv6 packet too
// big): a worker that dropped them would black-hole every large packet of another worker's flows.
// Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { inNs, sh, spawnInNs, stopProcess, waitFor } from './netns.js';
import { type ErrorExchange, exchangeErrors } from '../../support/icmp-errors.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
/** per address family: the host, its peers, the router, an address nobody holds (the host never sent to it) */
const V4: ErrorExchange = { v: '4', inside: '10.0.18.10', peers: Array.from({ length: 24 }, (_, i) => `10.0.18.${30 + i}`), router: '10.0.18.99', nobody: '10.0.18.77' };
const V6: ErrorExchange = { v: '6', inside: '2001:db8:18::10', peers: Array.from({ length: 24 }, (_, i) => `2001:db8:18::${30 + i}`), router: '2001:db8:18::99', nobody: '2001:db8:18::77' };
const PORT = 9000;
const FIRST_SOURCE_PORT = 40000;
const QUEUE = 52;
const METRICS = '127.0.0.1:9468';

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-host-icmp-'));
const tag = `hi${process.pid % 10000}`;
const ns = { host: `${tag}-h`, peer: `${tag}-p` };
const running: ChildProcess[] = [];



function setUp(): void {
  tearDown();
  const vh = `${tag}h`;
  const vp = `${tag}p`;
  sh('ip', ['netns', 'add', ns.host]);
  sh('ip', ['netns', 'add', ns.peer]);
  sh('ip', ['link', 'add', vh, 'netns', ns.host, 'type', 'veth', 'peer', 'name', vp, 'netns', ns.peer]);
  inNs(ns.host, 'ip', ['addr', 'add', `${V4.inside}/24`, 'dev', vh]);
  for (const a of [...V4.peers, V4.router]) inNs(ns.peer, 'ip', ['addr', 'add', `${a}/24`, 'dev', vp]);
  inNs(ns.host, 'ip', ['-6', 'addr', 'add', `${V6.inside}/64`, 'dev', vh, 'nodad']);
  for (const a of [...V6.peers, V6.router]) inNs(ns.peer, 'ip', ['-6', 'addr', 'add', `${a}/64`, 'dev', vp, 'nodad']);
  for (const [n, dev] of [[ns.host, vh], [ns.peer, vp]] as const) {
    inNs(n, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(n, 'ip', ['link', 'set', dev, 'up']);
    inNs(n, 'ethtool', ['-K', dev, 'tx', 'off']);
  }
}

function tearDown(): void {
  for (const n of [ns.host, ns.peer]) {
    try {
      sh('ip', ['netns', 'del', n]);
    } catch {
      // not there
    }
  }
}

function writeState(): string {
  const state = JSON.parse(readFileSync(join(ROOT, 'pcaps', 'albert', 'state.json'), 'utf8'));
  const eni = state.NetworkInterfaces[0];
  eni.PrivateIpAddress = V4.inside;
  eni.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: V4.inside }];
  eni.Ipv6Addresses = [{ Ipv6Address: V6.inside }];
  // egress: everything (the flows are tracked on the way out); ingress: nothing
  state.SecurityGroups[0].IpPermissions = [];
  state.SecurityGroups[0].IpPermissionsEgress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }], PrefixListIds: [], UserIdGroupPairs: [] }];
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}


function stopRecord(stderr: string): Record<string, unknown> {
  const line = stderr.split('\n').find((l) => l.includes('"event":"stop"'));
  if (line === undefined) throw new Error(`no stop record in: ${stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe.runIf(enabled)('sgfw run --mode host --workers 2: ICMP errors from a third address are related whichever worker tracks the flow', () => {
  beforeAll(() => {
    expect(existsSync(NFQUEUE_ADDON.pathname), `${NFQUEUE_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    setUp();
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    tearDown();
  });

  it.each([
    ['IPv4, port unreachable', V4],
    ['IPv4, fragmentation needed', { ...V4, error: 'too-big' }],
    ['IPv6, port unreachable', V6],
    ['IPv6, packet too big', { ...V6, error: 'too-big' }],
  ] as const)("%s: each tracked flow's error is related through two workers as through one; an error about no flow is dropped", async (_name, f: ErrorExchange) => {
    const state = writeState();
    const expected = f.peers.map((p, i) => `${p}:${FIRST_SOURCE_PORT + i}`).sort();
    for (const workers of ['1', '2']) {
      const sgfw = spawnInNs(ns.host, process.execPath, [ENTRY, 'run', '--mode', 'host', '--workers', workers, '--state', state, '--queue', String(QUEUE), '--metrics', METRICS]);
      running.push(sgfw);
      let err = '';
      sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
      const { received, routerSaw } = await exchangeErrors(ns.peer, ns.host, f, PORT, FIRST_SOURCE_PORT);
      expect(routerSaw, `workers ${workers}`).toBe(String(f.peers.length));
      expect(received, `workers ${workers}`).toEqual(expected);
      expect(received).not.toContain(`${f.nobody}:39999`);
      const metrics = inNs(ns.host, process.execPath, ['-e', `fetch('http://${METRICS}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
      running.splice(running.indexOf(sgfw), 1);
      expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
      const stop = stopRecord(err);
      // the error about no flow, judged by the rules (no ingress rule allows ICMP from the router)
      expect(stop.dropped as number, `workers ${workers}`).toBeGreaterThanOrEqual(1);
      // every tracked flow's error counted as related (one managed interface)
      expect(metrics).toMatch(new RegExp(`sgfw_packets_total\\{[^}]*reason="related"[^}]*\\} ${f.peers.length}\n`));
      if (workers === '2') {
        // 24 address pairs over two queues: both workers judged flows
        expect(stop.perWorker).toHaveLength(2);
        for (const n of stop.perWorker as number[]) expect(n).toBeGreaterThan(0);
        // The router's errors all hash to one queue: those about the other worker's flows were
        // asked about and handed over; the one about no flow was asked about and dropped.
        const related = stop.related as { deferred: number; handedOver: number; timeouts: number; overflows: number };
        expect(related.handedOver).toBeGreaterThan(0);
        expect(related.deferred).toBe(related.handedOver + 1);
        expect(related.timeouts).toBe(0);
        expect(related.overflows).toBe(0);
        expect(metrics).toContain(`sgfw_related_asks_total{outcome="handed_over"} ${related.handedOver}`);
      }
    }
  }, 120_000);
});
