// Two hosts as network namespaces joined by a veth pair, for host-mode tests: documentation and
// private addresses only, on-link routes, no default route out of the sandbox.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

export function inNs(ns: string, cmd: string, args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/** Runs a long-lived command inside a namespace; `ip netns exec` execs it, so its pid is the command's. */
export function spawnInNs(ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

export interface Pair {
  host: string;
  peer: string;
}

/** host: `hostAddr/24` + route to `peerNet`; peer: every `peerAddrs` + route to the host's net. */
export function createPair(tag: string, hostAddr: string, hostNet: string, peerAddrs: readonly string[], peerNet: string): Pair {
  const pair = { host: `sgfw-h-${tag}`, peer: `sgfw-p-${tag}` };
  const vh = `sgh${tag}`.slice(0, 15);
  const vp = `sgp${tag}`.slice(0, 15);
  destroyPair(pair);
  sh('ip', ['netns', 'add', pair.host]);
  sh('ip', ['netns', 'add', pair.peer]);
  sh('ip', ['link', 'add', vh, 'netns', pair.host, 'type', 'veth', 'peer', 'name', vp, 'netns', pair.peer]);
  inNs(pair.host, 'ip', ['addr', 'add', `${hostAddr}/24`, 'dev', vh]);
  for (const a of peerAddrs) inNs(pair.peer, 'ip', ['addr', 'add', `${a}/24`, 'dev', vp]);
  for (const [ns, dev] of [[pair.host, vh], [pair.peer, vp]]) {
    inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(ns, 'ip', ['link', 'set', dev, 'up']);
  }
  inNs(pair.host, 'ip', ['route', 'add', peerNet, 'dev', vh]);
  inNs(pair.peer, 'ip', ['route', 'add', hostNet, 'dev', vp]);
  return pair;
}

/** Deleting a namespace deletes its veth end, its rules and its queues with it. */
export function destroyPair(pair: Pair): void {
  for (const ns of [pair.host, pair.peer]) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not there: nothing to clean
    }
  }
}

const CONNECT = `
const [host, port, from, ms] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port), localAddress: from || undefined });
const t = setTimeout(() => { console.log('timeout'); process.exit(2); }, Number(ms));
s.on('connect', () => { clearTimeout(t); console.log('connected'); s.destroy(); });
s.on('error', (e) => { clearTimeout(t); console.log(e.code); process.exit(1); });
`;

/** A TCP connect from inside `ns` (optionally from a given local address): 'connected', 'timeout' or an errno code. */
export function tcpConnect(ns: string, host: string, port: number, from = '', ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', CONNECT, host, String(port), from, String(ms)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => resolve(out.trim() || 'no answer'));
  });
}

const LISTEN = `
const [addr, port] = process.argv.slice(1);
// A client that resets first must not take the listener down with it.
require('net').createServer((s) => { s.on('error', () => {}); s.end('ok\\n'); }).listen(Number(port), addr, () => console.log('listening'));
`;

/** A TCP listener inside `ns`; resolves once it listens. */
export function tcpListen(ns: string, addr: string, port: number): Promise<ChildProcess> {
  const c = spawnInNs(ns, process.execPath, ['-e', LISTEN, addr, String(port)]);
  return waitFor(c, 'stdout', 'listening', 5000).then(() => c);
}

/** Resolves when `text` appears on the child's stream; rejects on exit or after `ms`. */
export function waitFor(c: ChildProcess, stream: 'stdout' | 'stderr', text: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const s = c[stream]!;
    const done = (err?: Error): void => {
      clearTimeout(timer);
      s.off('data', onData);
      c.off('exit', onExit);
      if (err) reject(err);
      else resolve(seen);
    };
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(text)) done();
    };
    const onExit = (code: number | null): void => done(new Error(`exited (${code}) before '${text}': ${seen}`));
    const timer = setTimeout(() => done(new Error(`no '${text}' within ${ms} ms: ${seen}`)), ms);
    s.on('data', onData);
    c.on('exit', onExit);
  });
}

/** Sends `signal` and resolves with the exit code; SIGKILL after 15 s if the process hangs (iptables waits for the xtables lock, which every namespace shares). */
export function stopProcess(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve(c.exitCode);
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    c.kill(signal);
  });
}
