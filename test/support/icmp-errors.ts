// What the ICMP-error tests of the live modes on workers share (host and inline: a router's error
// about a flow is `related` through N workers as through one): two Python programs with raw
// sockets (scapy may not be installed), run in namespaces. One side sends a UDP datagram to each
// peer from its own port and collects the port unreachables that come back; the other, on the
// peers' side, answers each datagram with a port unreachable from a router address quoting it, and
// sends one more quoting a flow nobody has.
import type { ChildProcess } from 'node:child_process';
import { spawnInNs, waitFor } from '../e2e/host-mode/netns.js';

export interface ErrorExchange {
  /** '4' or '6' */
  v: string;
  /** the address whose flows the errors are about */
  inside: string;
  peers: readonly string[];
  router: string;
  /** the address of the flow nobody has */
  nobody: string;
  /**
   * The router's error: port unreachable (the default), or too big (IPv4 fragmentation needed,
   * type 3 code 4 with the next hop's MTU; ICMPv6 packet too big, type 2 with an MTU of 1280).
   */
  error?: 'unreachable' | 'too-big';
}

/** Inside: one UDP datagram to each peer from its own port, then the router's errors (destination unreachable, or packet too big), by quoted `dst:sport`. */
export const INSIDE_SCRIPT = `
import json, select, socket, struct, sys, time
v6, inside, peers, router, port, first = sys.argv[1] == '6', sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
too_big = len(sys.argv) > 7 and sys.argv[7] == 'too-big'
family = socket.AF_INET6 if v6 else socket.AF_INET
raw = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
socks = []
for i, p in enumerate(peers):
    s = socket.socket(family, socket.SOCK_DGRAM)
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
    if v6:
        # the ICMPv6 message alone: the quoted IPv6 header 8 bytes in, its UDP header after 40
        # (destination unreachable, type 1, or packet too big, type 2: the same layout); only the kind asked for
        if addr[0] != router or pkt[0] != (2 if too_big else 1):
            continue
        q = pkt[8:]
        got.add(socket.inet_ntop(family, q[24:40]) + ':' + str(struct.unpack('!H', q[40:42])[0]))
        continue
    ihl = (pkt[0] & 15) * 4
    # destination unreachable: port unreachable (code 3) or fragmentation needed (code 4), only the kind asked for
    if socket.inet_ntoa(pkt[12:16]) != router or pkt[ihl] != 3 or pkt[ihl + 1] != (4 if too_big else 3):
        continue
    q = pkt[ihl + 8:]
    qihl = (q[0] & 15) * 4
    got.add(socket.inet_ntoa(q[16:20]) + ':' + str(struct.unpack('!H', q[qihl:qihl + 2])[0]))
print(json.dumps(sorted(got)), flush=True)
`;

/**
 * Outside: receive on every peer address; for each datagram, an error from the router quoting it
 * (port unreachable, or with 'too-big' fragmentation needed / packet too big); and one quoting `nobody`.
 */
export const ROUTER_SCRIPT = `
import json, select, socket, struct, sys, time
v6, inside, peers, router, nobody, port = sys.argv[1] == '6', sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
too_big = len(sys.argv) > 7 and sys.argv[7] == 'too-big'

family = socket.AF_INET6 if v6 else socket.AF_INET
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    if v6:
        return struct.pack('!IHBB', 6 << 28, len(payload), proto, 64) + socket.inet_pton(family, src) + socket.inet_pton(family, dst) + payload
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0x1234, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
if v6:
    # from the router's own address; the kernel fills in the ICMPv6 checksum
    raw = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    raw.bind((router, 0))
else:
    raw = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW)
def unreachable(src, dst, sport):
    quoted = ip(src, dst, 17, struct.pack('!HHHH', sport, port, 12, 0) + b'ping')
    if v6:
        # packet too big (type 2, MTU 1280) or port unreachable (type 1 code 4)
        raw.sendto((struct.pack('!BBHI', 2, 0, 0, 1280) if too_big else struct.pack('!BBHI', 1, 4, 0, 0)) + quoted, (inside, 0))
        return
    # fragmentation needed (type 3 code 4, the next hop's MTU in the last 2 bytes) or port unreachable (code 3)
    icmp = (struct.pack('!BBHHH', 3, 4, 0, 0, 1400) if too_big else struct.pack('!BBHI', 3, 3, 0, 0)) + quoted
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    raw.sendto(ip(router, inside, 1, icmp), (inside, 0))
socks = {}
for p in peers:
    s = socket.socket(family, socket.SOCK_DGRAM)
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

/** A child's stdout once it exits (or what went wrong). */
export function output(c: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => resolve(code === 0 ? out : `exit ${code}: ${out} ${err}`));
  });
}

/**
 * The flows' datagrams (from `inside` in `insideNs`, source ports from `firstSourcePort`, to `port`)
 * and the router's answers (in `routerNs`): what `inside` received from the router, as quoted
 * `dst:sport`, and the router's last line (how many datagrams it answered).
 */
export async function exchangeErrors(routerNs: string, insideNs: string, f: ErrorExchange, port: number, firstSourcePort: number): Promise<{ received: string[]; routerSaw: string }> {
  const router = spawnInNs(routerNs, 'python3', ['-c', ROUTER_SCRIPT, f.v, f.inside, JSON.stringify(f.peers), f.router, f.nobody, String(port), f.error ?? 'unreachable']);
  const routerDone = output(router);
  await waitFor(router, 'stdout', 'ready', 10_000);
  const inside = spawnInNs(insideNs, 'python3', ['-c', INSIDE_SCRIPT, f.v, f.inside, JSON.stringify(f.peers), f.router, String(port), String(firstSourcePort), f.error ?? 'unreachable']);
  const insideOut = await output(inside);
  const routerOut = await routerDone;
  return { received: JSON.parse(insideOut) as string[], routerSaw: routerOut.trim().split('\n').pop()! };
}
