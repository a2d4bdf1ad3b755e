// Monitor mode on a real kernel: sgfw captures passively on a host namespace's veth while a peer
// namespace connects to an allowed and a disallowed port. The verdicts say allow and (would-be)
// drop; the disallowed connection still reaches the host, which refuses it with a RST. Run with
// each capture method (the default, afpacket, and --capture pcap): the verdicts and flow records
// are the same. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPair, destroyPair, spawnInNs, tcpConnect, tcpListen, waitFor, stopProcess, type Pair } from '../host-mode/netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const SGFW = join(import.meta.dirname, '..', '..', '..', 'bin', 'sgfw.js');
const monitorArgs = (device: string, state: string, verdicts: string, flowLog: string, capture: readonly string[] = []) =>
  [SGFW, 'run', '--mode', 'monitor', '--interface', device, '--state', state, '--verdicts', verdicts, '--flow-log', flowLog, ...capture];
const HOST = '10.0.0.10';
const TRUSTED = '192.0.2.1';
const ALLOWED_PORT = 22;
const DISALLOWED_PORT = 3306;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-monitor-'));
const tag = `m${process.pid % 10000}`;
let pair: Pair | null = null;
const children: ChildProcess[] = [];

/** The seed 001 example host with the namespace's address; SSH from the trusted peer only. */
function writeState(): string {
  const state = seedStateAt('conntrack', HOST);
  const ssh = state.SecurityGroups[0].IpPermissions.find((p: { FromPort?: number }) => p.FromPort === ALLOWED_PORT);
  ssh.IpRanges = [{ CidrIp: `${TRUSTED}/32` }];
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}


describe.runIf(enabled)('monitor mode judges live traffic and drops nothing', () => {
  beforeAll(() => {
    pair = createPair(tag, HOST, '10.0.0.0/24', [TRUSTED], '192.0.2.0/24');
  });

  afterAll(async () => {
    for (const c of children) await stopProcess(c, 'SIGINT');
    if (pair) destroyPair(pair);
  });

  // [name, flags, the method the ready and stop records name]; the default is afpacket: its addon is built where this runs.
  const methods = [
    ['the default capture (afpacket)', [], 'afpacket'],
    ['--capture pcap', ['--capture', 'pcap'], 'pcap'],
  ] as const;
  it.each(methods)('writes allow and would-be drop verdicts while the disallowed connection still gets through: %s', async (_name, flags, method) => {
    const verdicts = join(dir, `verdicts-${method}.jsonl`);
    const flowLog = join(dir, `flow-${method}.log`);
    const device = `sgh${tag}`;
    const monitor = spawnInNs(pair!.host, process.execPath, monitorArgs(device, writeState(), verdicts, flowLog, flags));
    children.push(monitor);
    let out = '';
    let err = '';
    monitor.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    monitor.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(monitor, 'stderr', 'SIGINT/SIGTERM to stop', 10_000);
    const listener = await tcpListen(pair!.host, HOST, ALLOWED_PORT);
    children.push(listener);

    expect(await tcpConnect(pair!.peer, HOST, ALLOWED_PORT)).toBe('connected');
    // Enforced, this SYN would be dropped and the connect would time out; monitored, the host's
    // closed port answers with a RST at once.
    expect(await tcpConnect(pair!.peer, HOST, DISALLOWED_PORT)).toBe('ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 300));

    expect(await stopProcess(monitor, 'SIGINT')).toBe(0);
    await stopProcess(listener, 'SIGTERM');
    const lines = readFileSync(verdicts, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const allowedByRule = lines.filter((l) => l.verdict === 'allow' && l.reason === 'rule');
    const dropped = lines.filter((l) => l.verdict === 'drop');
    expect(allowedByRule.length).toBeGreaterThanOrEqual(1);
    expect(allowedByRule[0].interfaces).toEqual(['eni-0c1d2e3f405160001']);
    expect(allowedByRule[0].rules).toHaveLength(1);
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    expect(dropped.every((l) => l.reason === 'ingress-no-rule')).toBe(true);
    // frames count from 1, one line each, in capture order
    expect(lines.map((l) => l.frame)).toEqual(lines.map((_, i) => i + 1));

    const records = readFileSync(flowLog, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const inbound = (port: number) => records.filter((r) => r[3] === TRUSTED && r[4] === HOST && r[6] === String(port));
    expect(inbound(ALLOWED_PORT).map((r) => r[12])).toEqual(['ACCEPT']);
    expect(inbound(DISALLOWED_PORT).map((r) => r[12])).toEqual(['REJECT']);
    // the account that owns the interface: its group's OwnerId in the state, not sgfw's default account
    expect(inbound(DISALLOWED_PORT)[0]).toEqual(expect.arrayContaining(['2', '111122223333', 'eni-0c1d2e3f405160001', '6', 'OK']));
    // Both directions are captured: the host's answers (SYN-ACK on the allowed port, RST on the other) are judged too.
    const outbound = (port: number) => records.filter((r) => r[3] === HOST && r[4] === TRUSTED && r[5] === String(port));
    expect(outbound(ALLOWED_PORT).map((r) => r[12])).toEqual(['ACCEPT']);
    expect(outbound(DISALLOWED_PORT)).toHaveLength(1);

    expect(out).toMatch(/^monitor sgh\S+: frames \d+ {2}would allow \d+ {2}would drop [1-9]\d*$/m);
    expect(out).toMatch(/^ {2}ingress-no-rule +[1-9]/m);
    // stderr is pino JSON like every mode's: each line a record, the ready and stop lines too
    const logs = err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    // afpacket: a worker per core by default; pcap: one thread, and a line saying why when there were more cores
    const workers = method === 'afpacket' ? availableParallelism() : 1;
    expect(logs.find((r) => r.event === 'ready')).toMatchObject({ name: 'sgfw', level: 30, mode: 'monitor', interface: device, capture: method, workers });
    const oneThread = logs.filter((r) => r.event === 'workers');
    if (method === 'pcap' && availableParallelism() > 1) expect(oneThread).toMatchObject([{ workers: 1, capture: 'pcap', msg: expect.stringMatching(/^--capture pcap judges on one thread: libpcap cannot share/) }]);
    else expect(oneThread).toEqual([]);
    const stop = logs.find((r) => r.event === 'stop');
    expect(stop).toMatchObject({ mode: 'monitor', capture: method, frames: lines.length, workers });
    if (method === 'afpacket') {
      // The kernel's ring-full drops, counted (a few frames on an idle veth: none).
      expect(stop!.captureDrops).toBe(0);
      expect(out).toMatch(/^frames dropped by the kernel \(capture ring full, not judged\) 0$/m);
    } else {
      expect(stop!.captureDrops).toBeNull();
      expect(out).not.toMatch(/dropped by the kernel/);
    }
  });

  it('honours --log-level: silent logs nothing, even for a start-up failure (the exit code says it)', async () => {
    const c = spawnInNs(pair!.host, process.execPath, [...monitorArgs('no-such-if0', writeState(), join(dir, 'v3.jsonl'), join(dir, 'f3.log')), '--log-level', 'silent']);
    children.push(c);
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => c.once('exit', r));
    expect(code).toBe(2);
    // No record of ours (libpcap's own warning, "Warning: SIOCGIFADDR: …", printed by `cap` under --capture pcap, aside).
    expect(err.split('\n').filter((l) => l !== '' && !l.startsWith('Warning: SIOCGIFADDR'))).toEqual([]);
  });

  it.each([[[]], [['--capture', 'pcap']]])('an interface that does not exist is a clear error (%j)', async (flags) => {
    const c = spawnInNs(pair!.host, process.execPath, monitorArgs('no-such-if0', writeState(), join(dir, 'v2.jsonl'), join(dir, 'f2.log'), flags));
    children.push(c);
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => c.once('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/"event":"start-failed".*no-such-if0: cannot capture/); // a log record, as all of stderr
  });
});
