// `sgfw run --mode inline --workers 2`: an ICMP error from a third address (a router between the
// hosts) about a flow is `related` whichever worker tracks the flow. The fanout group's cBPF program
// sends the error to the worker its quoted datagram hashes to, which is the flow's. IPv4, IPv6, and
// IPv4 in 802.1Q VLAN 10 (raw tagged frames: the kernel may have no VLAN devices): the inside host
// sends UDP to many outside addresses (egress allows it: tracked flows spread over both workers);
// the "router" answers each datagram with a forged port unreachable from its own address, which no
// ingress rule allows, and one more quoting a flow nobody sent. Each tracked flow's error reaches
// the inside host through two workers exactly as through one; the untracked one never does. Through
// the kernel bridge (`--capture nfqueue`, IPv6 and the VLAN case) the queue's hash puts the error on
// any worker, which asks the others (host mode's relay): the same outcome. Needs root; skipped only
// outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AFPACKET_ADDON } from '../../../src/capture/afpacket.js';
import { inNs, spawnInNs, stopProcess, waitFor } from '../host-mode/netns.js';
import { exchangeErrors, output, type ErrorExchange } from '../../support/icmp-errors.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet } from './bridge-netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
/** per address family: the inside host, its peers outside, the router (outside too), an address nobody holds (the inside host never sent to it, so an error quoting it is tracked by no worker) */
type Family = ErrorExchange;
const V4: Family = { v: '4', inside: '10.0.8.10', peers: Array.from({ length: 24 }, (_, i) => `10.0.8.${30 + i}`), router: '10.0.8.99', nobody: '10.0.8.77' };
const V6: Family = { v: '6', inside: '2001:db8:8::10', peers: Array.from({ length: 24 }, (_, i) => `2001:db8:8::${30 + i}`), router: '2001:db8:8::99', nobody: '2001:db8:8::77' };
const PORT = 9000;
const FIRST_SOURCE_PORT = 40000;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-inline-icmp-'));
const tag = String(process.pid % 100000);
let net: BridgeNet | null = null;
const running: ChildProcess[] = [];



/** 802.1Q VLAN 10 in raw frames (this kernel may have no VLAN devices), the ENI's second address. */
const VLAN: Family & { id: number } = { v: '4', inside: '10.0.9.10', peers: Array.from({ length: 24 }, (_, i) => `10.0.9.${30 + i}`), router: '10.0.9.99', nobody: '10.0.9.77', id: 10 };
const VLAN_COMMON = `
import json, select, socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0x1234, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
def tagged(dst_mac, src_mac, vid, packet):
    return bytes.fromhex(dst_mac.replace(':', '')) + bytes.fromhex(src_mac.replace(':', '')) + struct.pack('!HHH', 0x8100, vid, 0x0800) + packet
def ipv4_of(frame):
    # the kernel may have taken the tag out (VLAN offload) before a packet socket reads the frame
    t = struct.unpack('!H', frame[12:14])[0]
    if t == 0x8100:
        t, frame = struct.unpack('!H', frame[16:18])[0], frame[4:]
    return frame[14:] if t == 0x0800 else None
`;
/** The inside host's side in the VLAN: a tagged datagram to each peer, then the router's port unreachables. */
const VLAN_INSIDE_SCRIPT = `${VLAN_COMMON}
dev, my_mac, peer_mac, vid, inside, peers, router, port, first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6]), sys.argv[7], int(sys.argv[8]), int(sys.argv[9])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((dev, 0))
for i, p in enumerate(peers):
    s.send(tagged(peer_mac, my_mac, vid, ip(inside, p, 17, struct.pack('!HHHH', first + i, port, 12, 0) + b'ping')))
got = set()
end = time.time() + 3
while True:
    left = end - time.time()
    if left <= 0 or not select.select([s], [], [], left)[0]:
        break
    pkt = ipv4_of(s.recv(65535))
    if pkt is None or pkt[9] != 1 or socket.inet_ntoa(pkt[12:16]) != router:
        continue
    ihl = (pkt[0] & 15) * 4
    if pkt[ihl] != 3:
        continue
    q = pkt[ihl + 8:]
    qihl = (q[0] & 15) * 4
    got.add(socket.inet_ntoa(q[16:20]) + ':' + str(struct.unpack('!H', q[qihl:qihl + 2])[0]))
print(json.dumps(sorted(got)), flush=True)
`;
/** The router's side in the VLAN: a tagged port unreachable for each tagged datagram to a peer, and one quoting `nobody`. */
const VLAN_ROUTER_SCRIPT = `${VLAN_COMMON}
dev, my_mac, inside_mac, vid, inside, peers, router, nobody, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6]), sys.argv[7], sys.argv[8], int(sys.argv[9])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((dev, 0))
def unreachable(src, dst, sport):
    quoted = ip(src, dst, 17, struct.pack('!HHHH', sport, port, 12, 0) + b'ping')
    icmp = struct.pack('!BBHI', 3, 3, 0, 0) + quoted
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    s.send(tagged(inside_mac, my_mac, vid, ip(router, inside, 1, icmp)))
print('ready', flush=True)
seen = set()
end = time.time() + 10
while len(seen) < len(peers) and time.time() < end:
    if not select.select([s], [], [], 1)[0]:
        continue
    pkt = ipv4_of(s.recv(65535))
    if pkt is None or pkt[9] != 17:
        continue
    src, dst = socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
    ihl = (pkt[0] & 15) * 4
    sport, dport = struct.unpack('!HH', pkt[ihl:ihl + 4])
    if src == inside and dst in peers and dport == port and (dst, sport) not in seen:
        seen.add((dst, sport))
        unreachable(src, dst, sport)
unreachable(inside, nobody, 39999)
print(json.dumps(len(seen)), flush=True)
`;

function writeState(): string {
  const state = JSON.parse(readFileSync(join(ROOT, 'pcaps', 'albert', 'state.json'), 'utf8'));
  const eni = state.NetworkInterfaces[0];
  eni.PrivateIpAddress = V4.inside;
  eni.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: V4.inside }, { Primary: false, PrivateIpAddress: VLAN.inside }];
  eni.Ipv6Addresses = [{ Ipv6Address: V6.inside }];
  // egress: everything, both families (the flows are tracked on the way out)
  state.SecurityGroups[0].IpPermissionsEgress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }], PrefixListIds: [], UserIdGroupPairs: [] }];
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}



function macOf(ns: string, dev: string): string {
  return (JSON.parse(inNs(ns, 'ip', ['-j', 'link', 'show', dev])) as { address: string }[])[0]!.address;
}

/** The same exchange as raw tagged frames on the hosts' veths. */
async function vlanExchange(): Promise<{ received: string[]; routerSaw: string }> {
  const [hostOutside, hostInside] = [`iiho${tag}`.slice(0, 15), `iihi${tag}`.slice(0, 15)];
  const [outsideMac, insideMac] = [macOf(net!.outside, hostOutside), macOf(net!.inside, hostInside)];
  const common = [String(VLAN.id), VLAN.inside, JSON.stringify(VLAN.peers), VLAN.router];
  const router = spawnInNs(net!.outside, 'python3', ['-c', VLAN_ROUTER_SCRIPT, hostOutside, outsideMac, insideMac, ...common, VLAN.nobody, String(PORT)]);
  const routerDone = output(router);
  await waitFor(router, 'stdout', 'ready', 10_000);
  const inside = spawnInNs(net!.inside, 'python3', ['-c', VLAN_INSIDE_SCRIPT, hostInside, insideMac, outsideMac, ...common, String(PORT), String(FIRST_SOURCE_PORT)]);
  const insideOut = await output(inside);
  const routerOut = await routerDone;
  return { received: JSON.parse(insideOut) as string[], routerSaw: routerOut.trim().split('\n').pop()! };
}

function stopRecord(stderr: string): Record<string, unknown> {
  const line = stderr.split('\n').find((l) => l.includes('"event":"stop"'));
  if (line === undefined) throw new Error(`no stop record in: ${stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe.runIf(enabled)('sgfw run --mode inline --workers 2: ICMP errors from a third address reach the worker tracking the flow', () => {
  beforeAll(() => {
    expect(existsSync(AFPACKET_ADDON.pathname), `${AFPACKET_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    net = createBridgeNet(tag, V4.inside, [...V4.peers, V4.router], 'ii');
    // IPv6 on both hosts, usable at once (no duplicate address detection)
    const [hostOutside, hostInside] = [`iiho${tag}`.slice(0, 15), `iihi${tag}`.slice(0, 15)];
    for (const a of [...V6.peers, V6.router]) inNs(net.outside, 'ip', ['-6', 'addr', 'add', `${a}/64`, 'dev', hostOutside, 'nodad']);
    inNs(net.inside, 'ip', ['-6', 'addr', 'add', `${V6.inside}/64`, 'dev', hostInside, 'nodad']);
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (net) destroyBridgeNet(net);
  });

  // --capture nfqueue (the kernel bridges, host mode's workers judge, asking each other about errors): the same outcome
  it.each([
    ['IPv4', 'afpacket', V4], ['IPv6', 'afpacket', V6], ['IPv4 in 802.1Q VLAN 10', 'afpacket', VLAN], ['IPv6', 'nfqueue', V6], ['IPv4 in 802.1Q VLAN 10', 'nfqueue', VLAN],
  ] as const)('%s (--capture %s): each tracked flow\'s error is related through two workers as through one; an error about no flow is dropped', async (_name, capture, f) => {
    const state = writeState();
    const expected = f.peers.map((p, i) => `${p}:${FIRST_SOURCE_PORT + i}`).sort();
    for (const workers of ['1', '2']) {
      const sgfw = spawnInNs(net!.middle, process.execPath, [ENTRY, 'run', '--mode', 'inline', '--inside', net!.middleInside, '--outside', net!.middleOutside, '--state', state, '--capture', capture, '--workers', workers]);
      running.push(sgfw);
      let err = '';
      sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
      const { received, routerSaw } = f === VLAN ? await vlanExchange() : await exchangeErrors(net!.outside, net!.inside, f, PORT, FIRST_SOURCE_PORT);
      expect(routerSaw, `workers ${workers}`).toBe(String(f.peers.length));
      expect(received, `workers ${workers}`).toEqual(expected);
      expect(received).not.toContain(`${f.nobody}:39999`);
      running.splice(running.indexOf(sgfw), 1);
      expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
      const stop = stopRecord(err);
      expect(stop.failures).toBe(0);
      // the error about no flow, judged by the rules (no ingress rule allows ICMP from the router)
      expect(stop.dropped as number, `workers ${workers}`).toBeGreaterThanOrEqual(1);
      if (workers === '2') {
        // 24 address pairs over two workers: both hold flows (and got their errors)
        expect(stop.perWorker).toHaveLength(2);
        for (const n of stop.perWorker as number[]) expect(n).toBeGreaterThan(0);
      }
    }
  }, 120_000);
});
