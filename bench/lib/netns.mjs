// Network namespaces for the live benchmarks: every name starts with `sgbl` (or SGBL_NS_PREFIX, so
// runs side by side on one machine can tell theirs apart), every command has a
// timeout, every process started is remembered so one call stops them all, and the namespaces go
// with them (on errors and on SIGINT/SIGTERM too). Root only; nothing here sends traffic from the
// root namespace.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What every namespace and interface name starts with: SGBL_NS_PREFIX (letters, at most 4) or `sgbl`. */
export const PREFIX = /^[a-z]{1,4}$/.test(process.env.SGBL_NS_PREFIX ?? '') ? process.env.SGBL_NS_PREFIX : 'sgbl';

/** Runs a command to completion (10 s unless told), throwing with its stderr when it fails. */
export function sh(cmd, args, { timeout = 10_000, input } = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout });
  } catch (e) {
    const err = e.stderr ? String(e.stderr).trim() : e.message;
    throw new Error(`${cmd} ${args.join(' ').slice(0, 200)}: ${err}`);
  }
}

export const inNs = (ns, cmd, args, opts) => sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);

/** Namespaces with our prefix (ours or a crashed run's). */
export function ourNamespaces() {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(PREFIX));
}

export function addNs(name) {
  if (!name.startsWith(PREFIX)) throw new Error(`namespace ${name} does not start with ${PREFIX}`);
  delNs(name);
  sh('ip', ['netns', 'add', name]);
  inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
}

/** Deleting a namespace deletes its veth ends, addresses, nftables/iptables rules and queues with it. */
export function delNs(name) {
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    // not there
  }
}

/** A veth pair from namespace `a` (device `da`) to `b` (device `db`), both up. */
export function veth(a, da, b, db) {
  sh('ip', ['link', 'add', da, 'netns', a, 'type', 'veth', 'peer', 'name', db, 'netns', b]);
  inNs(a, 'ip', ['link', 'set', da, 'up']);
  inNs(b, 'ip', ['link', 'set', db, 'up']);
}

/**
 * No offloads on a veth: full checksums on the wire (a capture that injects what it saw must send
 * complete frames) and no segmentation offload, so every path moves real MTU-sized frames rather
 * than 64 KB super-packets only the kernel could forward whole.
 */
export function noOffload(ns, dev) {
  inNs(ns, 'ethtool', ['-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
}

/** Processes started in namespaces, each with a deadline after which it is killed. */
export class Processes {
  constructor() {
    this.live = new Set();
  }

  /**
   * Starts `cmd` in `ns` (`ip netns exec` execs it, so the pid is the command's); SIGKILL after
   * `timeoutMs`. Returns the child with `done`: a promise of { code, signal, stdout, stderr, timedOut }.
   */
  spawn(ns, cmd, args, { timeoutMs = 30_000, env } = {}) {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.live.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.done = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.live.delete(child);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
      child.on('error', (e) => {
        stderr += e.message;
      });
    });
    child.output = () => ({ stdout, stderr });
    return child;
  }

  /** Runs `cmd` in `ns` to completion. */
  run(ns, cmd, args, opts) {
    return this.spawn(ns, cmd, args, opts).done;
  }

  /** Sends `signal`, then SIGKILL after `graceMs`; resolves with the result. */
  async stop(child, signal = 'SIGTERM', graceMs = 5000) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await child.done;
      clearTimeout(t);
      return r;
    }
    return child.done;
  }

  /** SIGKILL to every process still running (synchronous: usable from a signal handler). */
  killAll() {
    for (const c of this.live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/** Resolves when `text` appears on the child's stream; rejects when it exits first or after `ms`. */
export function waitForText(child, stream, text, ms) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const s = child[stream];
    const done = (err) => {
      clearTimeout(timer);
      s.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(seen);
    };
    const onData = (d) => {
      seen += d;
      if (seen.includes(text)) done();
    };
    const onExit = (code) => done(new Error(`exited (${code}) before '${text}': ${seen.slice(-500)}`));
    const timer = setTimeout(() => done(new Error(`no '${text}' within ${ms} ms: ${seen.slice(-500)}`)), ms);
    s.on('data', onData);
    child.on('exit', onExit);
  });
}

/**
 * Runs `cleanup` (synchronous) on SIGINT/SIGTERM before exiting, so an interrupted run leaves no
 * namespace behind. Returns a function that removes the handlers.
 */
export function cleanupOnSignal(cleanup) {
  const handler = (signal) => {
    try {
      cleanup();
    } finally {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** User + system CPU seconds a process has used (from /proc; 0 once it is gone). */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** The machine's CPU time by kind, in seconds, summed over cores (for a busy share over an interval). */
export function systemCpuSeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { user: (user + nice) / 100, system: system / 100, softirq: (irq + softirq) / 100, idle: (idle + iowait) / 100, steal: steal / 100 };
}
