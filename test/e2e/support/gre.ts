// GRE (IP protocol 47) exchanges through raw sockets: real GRE packets on the wire, sent and
// answered by the kernels of two namespaces, without needing the kernel's GRE tunnel driver (not
// every kernel that runs these tests has ip_gre). A responder answers each GRE request with a GRE
// reply carrying the same token; an asker sends a request and waits for its reply.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { spawnInNs, waitFor } from '../host-mode/netns.js';

const GRE_TOOL = `
import socket, struct, sys, time, select
IPPROTO_GRE = 47
# GRE header (RFC 2784): no flags, version 0, protocol type: an experimental EtherType (0x88B5).
HEADER = struct.pack('!HH', 0, 0x88B5)
mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_GRE)

def payload(packet):
    ihl = (packet[0] & 0x0F) * 4  # raw IPv4 sockets receive the IP header too
    return packet[ihl + 4:]

if mode == 'respond':
    print('listening', flush=True)
    while True:
        packet, (src, _) = s.recvfrom(65535)
        body = payload(packet)
        if body.startswith(b'req:'):
            s.sendto(HEADER + b'rep:' + body[4:], (src, 0))
else:
    dst, ms = sys.argv[2], int(sys.argv[3])
    token = str(time.monotonic_ns()).encode()
    deadline = time.monotonic() + ms / 1000
    sent = 0
    while time.monotonic() < deadline:
        # Twice, a little apart: one packet lost to a neighbour still being resolved is not a verdict.
        if sent < 2:
            s.sendto(HEADER + b'req:' + token, (dst, 0))
            sent += 1
        ready, _, _ = select.select([s], [], [], 0.2)
        if ready:
            packet, (src, _) = s.recvfrom(65535)
            if src == dst and payload(packet) == b'rep:' + token:
                print('reply', flush=True)
                sys.exit(0)
    print('timeout', flush=True)
    sys.exit(2)
`;

/** A GRE responder inside `ns`: answers every GRE request from any address. */
export async function greResponder(ns: string): Promise<ChildProcess> {
  const c = spawnInNs(ns, 'python3', ['-u', '-c', GRE_TOOL, 'respond']);
  await waitFor(c, 'stdout', 'listening', 5000);
  return c;
}

/** One GRE request from `ns` to `dst`: 'reply' when its answer came back within `ms`, else 'timeout'. */
export function greRequest(ns: string, dst: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns, 'python3', '-u', '-c', GRE_TOOL, 'ask', dst, String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), ms + 5000);
    c.on('close', () => {
      clearTimeout(timer);
      resolve(out.trim() || 'no answer');
    });
  });
}
