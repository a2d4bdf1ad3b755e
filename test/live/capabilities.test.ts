// After opening its sockets, host mode keeps only CAP_NET_ADMIN and CAP_NET_RAW (issue 5, Operations).
// Checked in child processes (the drop is for good), through /proc and a real iptables run.
// Needs root; skipped only outside CI when not root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const WRAPPER = join(ROOT, 'dist', 'live', 'capabilities.js');
const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-caps-'));
const NS = `sgfw-caps-${process.pid % 10000}`;
const NET_ONLY = (1n << 12n) | (1n << 13n);

/** Drops, then reports the drop, every thread's sets, a root-owned 0600 file read and an iptables child. */
const PROBE = `
import { dropCapabilities } from ${JSON.stringify(WRAPPER)};
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
const field = (text, name) => text.match(new RegExp(name + ':\\\\s*(\\\\S+)'))[1];
const drop = dropCapabilities();
const threads = readdirSync('/proc/self/task').map((tid) => {
  const s = readFileSync('/proc/self/task/' + tid + '/status', 'utf8');
  return { tid: Number(tid), eff: field(s, 'CapEff'), prm: field(s, 'CapPrm'), bnd: field(s, 'CapBnd') };
});
const secret = readFileSync(process.argv[2], 'utf8');
let iptables;
try { iptables = execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' }); } catch (e) { iptables = 'failed: ' + e.message; }
const child = execFileSync('grep', ['^Cap', '/proc/self/status'], { encoding: 'utf8' });
console.log(JSON.stringify({ drop, threads, secret, iptables, child }));
`;

function probe(inNamespace: boolean): {
  drop: { dropped: boolean; kept: number[]; lastCap: number; threads: number; threadsDropped: number; threadsSkipped: number[] };
  threads: { tid: number; eff: string; prm: string; bnd: string }[];
  secret: string;
  iptables: string;
  child: string;
} {
  const script = join(dir, 'probe.mjs');
  const secret = join(dir, 'state.json');
  writeFileSync(script, PROBE);
  writeFileSync(secret, '{"root only":true}', { mode: 0o600 });
  const argv = [process.execPath, script, secret];
  const out = inNamespace
    ? execFileSync('ip', ['netns', 'exec', NS, ...argv], { encoding: 'utf8', timeout: 15_000 })
    : execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
  return JSON.parse(out);
}

afterAll(() => {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // never created
  }
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(enabled)('after the drop, sgfw holds only CAP_NET_ADMIN and CAP_NET_RAW', () => {
  it('keeps exactly those two in the effective, permitted and bounding sets of its threads', () => {
    const r = probe(false);
    expect(r.drop.dropped).toBe(true);
    expect(r.drop.kept).toEqual([12, 13]);
    expect(r.drop.lastCap).toBeGreaterThanOrEqual(37);
    const reduced = r.threads.filter((t) => !r.drop.threadsSkipped.includes(t.tid));
    expect(reduced.length).toBe(r.drop.threadsDropped);
    // Only Node's SIGUSR1 watchdog, which blocks every signal, can stay out of reach.
    expect(r.drop.threadsSkipped.length).toBeLessThanOrEqual(1);
    for (const t of reduced) {
      for (const set of [t.eff, t.prm, t.bnd]) expect(BigInt(`0x${set}`)).toBe(NET_ONLY);
    }
    const main = r.threads.find((t) => t.tid === Math.min(...r.threads.map((x) => x.tid)))!;
    expect(r.drop.threadsSkipped).not.toContain(main.tid);
  });

  it('still reads a root-owned 0600 state file without CAP_DAC_OVERRIDE, as a SIGHUP reload does', () => {
    expect(probe(false).secret).toBe('{"root only":true}');
  });

  it('lets an exec\'d child regain nothing beyond the two', () => {
    const child = probe(false).child;
    for (const name of ['CapPrm', 'CapEff', 'CapBnd']) {
      const hex = child.match(new RegExp(`${name}:\\s*(\\S+)`))![1]!;
      expect(BigInt(`0x${hex}`)).toBe(NET_ONLY);
    }
  });

  it('can still run iptables, as removing the queue rules on SIGINT/SIGTERM does', () => {
    execFileSync('ip', ['netns', 'add', NS]);
    const r = probe(true);
    expect(r.drop.dropped).toBe(true);
    expect(r.iptables).toContain('-P INPUT ACCEPT');
  });
});
