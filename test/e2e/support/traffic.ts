// Real traffic from inside namespaces: TCP servers, a long-lived TCP session driven line by line,
// UDP request/response, ping. Every helper is bounded in time and reports what happened as a word
// a test can compare ('connected', 'timeout', 'reply', …).
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnInNs, stopProcess, waitFor } from '../host-mode/netns.js';

const ECHO_SERVERS = `
const net = require('net');
const ports = process.argv.slice(1).map(Number);
let left = ports.length;
for (const port of ports) {
  // Dual stack on '::': one listener answers IPv4 and IPv6. Echoes, so a session can be checked.
  const srv = net.createServer((s) => { s.on('error', () => {}); s.pipe(s); });
  srv.listen({ port, host: '::' }, () => { if (--left === 0) console.log('listening'); });
}
`;

/** TCP echo servers on every port, IPv4 and IPv6, inside `ns`; resolves once all listen. */
export async function tcpEchoServers(ns: string, ports: readonly number[]): Promise<ChildProcess> {
  const c = spawnInNs(ns, process.execPath, ['-e', ECHO_SERVERS, ...ports.map(String)]);
  await waitFor(c, 'stdout', 'listening', 5000);
  return c;
}

const SESSION = `
const [host, port, ms] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) });
const t = setTimeout(() => { console.log('timeout'); process.exit(2); }, Number(ms));
s.on('connect', () => { clearTimeout(t); console.log('connected'); });
s.on('data', (d) => process.stdout.write('got:' + d));
s.on('error', (e) => { console.log('error:' + e.code); process.exit(1); });
s.on('close', () => { console.log('closed'); process.exit(0); });
process.stdin.on('data', (d) => s.write(d));
process.stdin.on('end', () => s.destroy());
`;

/** One TCP connection kept open: each `exchange` sends a line and waits for its echo. */
export interface TcpSession {
  /** true when `text` came back within `ms` */
  exchange(text: string, ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens a session from `ns` to an echo server; rejects with the client's word when it cannot connect. */
export async function openTcpSession(ns: string, host: string, port: number, ms = 2000): Promise<TcpSession> {
  const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SESSION, host, String(port), String(ms)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  try {
    await waitFor(c, 'stdout', 'connected', ms + 3000);
  } catch (e) {
    await stopProcess(c, 'SIGKILL');
    throw new Error(`session to ${host}:${port} from ${ns}: ${(e as Error).message}`);
  }
  let n = 0;
  return {
    async exchange(text, wait = 1500) {
      const line = `${text}-${++n}`;
      const seen = waitFor(c, 'stdout', `got:${line}`, wait).then(
        () => true,
        () => false,
      );
      c.stdin!.write(`${line}\n`);
      return seen;
    },
    async close() {
      c.stdin!.end();
      await stopProcess(c, 'SIGKILL');
    },
  };
}

const UDP_ECHO = `
const [addr, ...ports] = process.argv.slice(1);
const dgram = require('dgram');
let left = ports.length;
for (const port of ports) {
  const s = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
  s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  s.bind(Number(port), addr, () => { if (--left === 0) console.log('listening'); });
}
`;

/** UDP servers answering every datagram with 'echo:' + its payload. */
export async function udpEchoServers(ns: string, addr: string, ports: readonly number[]): Promise<ChildProcess> {
  const c = spawnInNs(ns, process.execPath, ['-e', UDP_ECHO, addr, ...ports.map(String)]);
  await waitFor(c, 'stdout', 'listening', 5000);
  return c;
}

const UDP_REQUEST = `
const [host, port, ms] = process.argv.slice(1);
const s = require('dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
const t = setTimeout(() => { console.log('timeout'); process.exit(2); }, Number(ms));
s.on('message', (m) => { clearTimeout(t); console.log(String(m) === 'echo:hello' ? 'reply' : 'wrong reply'); process.exit(0); });
s.on('error', (e) => { clearTimeout(t); console.log('error:' + e.code); process.exit(1); });
// Twice, a little apart: one lost datagram (a neighbour still being resolved) is not a verdict.
s.send('hello', Number(port), host);
setTimeout(() => s.send('hello', Number(port), host), 200);
`;

/** One UDP request from `ns`: 'reply' when the echo came back within `ms`, else 'timeout' (or an error). */
export function udpRequest(ns: string, host: string, port: number, ms = 1500): Promise<string> {
  return wordOf(['ip', 'netns', 'exec', ns, process.execPath, '-e', UDP_REQUEST, host, String(port), String(ms)], ms + 5000);
}

/** `ping -c 2 -W 1` from `ns` (ping -6 for IPv6): how many of the two echoes came back. */
export async function ping(ns: string, host: string): Promise<number> {
  const family = host.includes(':') ? '-6' : '-4';
  const out = await wordOf(['ip', 'netns', 'exec', ns, 'ping', family, '-n', '-c', '2', '-W', '1', '-i', '0.3', host], 10_000);
  const m = /(\d+) received/.exec(out);
  if (m === null) throw new Error(`ping ${host} from ${ns}: ${out}`);
  return Number(m[1]);
}

function wordOf(argv: string[], killAfterMs: number): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), killAfterMs);
    c.on('close', () => {
      clearTimeout(timer);
      resolve(out.trim() || 'no answer');
    });
  });
}
