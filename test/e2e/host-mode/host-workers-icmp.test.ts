// `sgfw run --mode host --workers 2`: an ICMP error from a third address (a router) about a flow is
// `related` whichever worker tracks the flow. NFQUEUE's queue hash is of the error's own address
// pair, so every error from the router lands on one queue while the flows it quotes are spread over
// both; the worker that gets an error it would drop asks the other (live/related-relay.ts). The
// host sends UDP to many peer addresses (egress allows it: flows tracked on both workers); the
// "router" answers each datagram with a forged port unreachable from its own address, which no
// ingress rule allows, and one more quoting a flow nobody sent. Each tracked flow's error reaches
// the host through two workers as through one; the untracked one never does. Needs root; skipped
// only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { inNs, sh, spawnInNs, stopProcess, waitFor } from './netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.18.10';
const PEERS = Array.from({ length: 24 }, (_, i) => `10.0.18.${30 + i}`);
const ROUTER = '10.0.18.99';
const NOBODY = '10.0.18.77';
const PORT = 9000;
const FIRST_SOURCE_PORT = 40000;
const QUEUE = 52;
const METRICS = '127.0.0.1:9468';

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-host-icmp-'));
const tag = `hi${process.pid % 10000}`;
const ns = { host: `${tag}-h`, peer: `${tag}-p` };
const running: ChildProcess[] = [];

/** The host: one UDP datagram to each peer from its own port, then the router's port unreachables, by quoted `dst:sport`. */
const HOST_SCRIPT = `
import json, select, socket, struct, sys, time
inside, peers, router, port, first = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
socks = []
for i, p in enumerate(peers):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((inside, first + i))
    s.sendto(b'ping', (p, port))
    socks.append(s)
got = set()
end = time.time() + 3
while True:
    left = end - time.time()
    if left <= 0 or not select.select([raw], [], [], left)[0]:
        break
    pkt, addr = raw.recvfrom(65535)
    ihl = (pkt[0] & 15) * 4
    if socket.inet_ntoa(pkt[12:16]) != router or pkt[ihl] != 3:
        continue
    q = pkt[ihl + 8:]
    qihl = (q[0] & 15) * 4
    got.add(socket.inet_ntoa(q[16:20]) + ':' + str(struct.unpack('!H', q[qihl:qihl + 2])[0]))
print(json.dumps(sorted(got)), flush=True)
`;

/** The peers' side: receive on every peer address; for each datagram, a port unreachable from the router quoting it; and one quoting NOBODY. */
const ROUTER_SCRIPT = `
import json, select, socket, struct, sys, time
inside, peers, router, nobody, port = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0x1234, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def unreachable(src, dst, sport):
    quoted = ip(src, dst, 17, struct.pack('!HHHH', sport, port, 12, 0) + b'ping')
    icmp = struct.pack('!BBHI', 3, 3, 0, 0) + quoted
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    raw.sendto(ip(router, inside, 1, icmp), (inside, 0))
socks = {}
for p in peers:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((p, port))
    socks[s] = p
print('ready', flush=True)
seen = 0
end = time.time() + 10
while seen < len(peers) and time.time() < end:
    for s in select.select(list(socks), [], [], 1)[0]:
        data, addr = s.recvfrom(2048)
        unreachable(addr[0], socks[s], addr[1])
        seen += 1
unreachable(inside, nobody, 39999)
print(json.dumps(seen), flush=True)
`;

function setUp(): void {
  tearDown();
  const vh = `${tag}h`;
  const vp = `${tag}p`;
  sh('ip', ['netns', 'add', ns.host]);
  sh('ip', ['netns', 'add', ns.peer]);
  for (const n of [ns.host, ns.peer]) inNs(n, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  sh('ip', ['link', 'add', vh, 'netns', ns.host, 'type', 'veth', 'peer', 'name', vp, 'netns', ns.peer]);
  inNs(ns.host, 'ip', ['addr', 'add', `${HOST}/24`, 'dev', vh]);
  for (const a of [...PEERS, ROUTER]) inNs(ns.peer, 'ip', ['addr', 'add', `${a}/24`, 'dev', vp]);
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
  eni.PrivateIpAddress = HOST;
  eni.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: HOST }];
  // egress: everything (the flows are tracked on the way out); ingress: nothing
  state.SecurityGroups[0].IpPermissions = [];
  state.SecurityGroups[0].IpPermissionsEgress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }];
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

function output(c: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => resolve(code === 0 ? out : `exit ${code}: ${out} ${err}`));
  });
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

  it("each tracked flow's error is related through two workers as through one; an error about no flow is dropped", async () => {
    const state = writeState();
    const expected = PEERS.map((p, i) => `${p}:${FIRST_SOURCE_PORT + i}`).sort();
    for (const workers of ['1', '2']) {
      const sgfw = spawnInNs(ns.host, process.execPath, [ENTRY, 'run', '--mode', 'host', '--workers', workers, '--state', state, '--queue', String(QUEUE), '--metrics', METRICS]);
      running.push(sgfw);
      let err = '';
      sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
      const router = spawnInNs(ns.peer, 'python3', ['-c', ROUTER_SCRIPT, HOST, JSON.stringify(PEERS), ROUTER, NOBODY, String(PORT)]);
      const routerDone = output(router);
      await waitFor(router, 'stdout', 'ready', 10_000);
      const host = spawnInNs(ns.host, 'python3', ['-c', HOST_SCRIPT, HOST, JSON.stringify(PEERS), ROUTER, String(PORT), String(FIRST_SOURCE_PORT)]);
      const received = JSON.parse(await output(host)) as string[];
      expect((await routerDone).trim().split('\n').pop(), `workers ${workers}`).toBe(String(PEERS.length));
      expect(received, `workers ${workers}`).toEqual(expected);
      expect(received).not.toContain(`${NOBODY}:39999`);
      const metrics = inNs(ns.host, process.execPath, ['-e', `fetch('http://${METRICS}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
      running.splice(running.indexOf(sgfw), 1);
      expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
      const stop = stopRecord(err);
      // the error about no flow, judged by the rules (no ingress rule allows ICMP from the router)
      expect(stop.dropped as number, `workers ${workers}`).toBeGreaterThanOrEqual(1);
      // every tracked flow's error counted as related (one managed interface)
      expect(metrics).toMatch(new RegExp(`sgfw_packets_total\\{[^}]*reason="related"[^}]*\\} ${PEERS.length}\n`));
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
