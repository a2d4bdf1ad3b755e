// Operating `sgfw run --mode host` on a real kernel: Prometheus metrics scraped over the host
// namespace's loopback, JSON logs on stderr, and SIGHUP reloading the state files. Albert (seed 000)
// in his own namespace behind sgfw's NFQUEUE, reached over a veth pair from a peer namespace.
// Needs root; skipped only outside CI when not root.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { parseExposition } from '../../observe/exposition.js';
import { createPair, destroyPair, inNs, spawnInNs, tcpConnect, tcpListen, waitFor, stopProcess, type Pair } from './netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.1.10';
const ALBERT_MACHINE = '203.0.113.5';
const STRANGER = '203.0.113.6';
const ENI = 'eni-0a1b2c3d4e5f60001';
const QUEUE = 9;
const METRICS_PORT = 9464;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-operations-'));
const stateFile = join(dir, 'albert.json');
const tag = `o${process.pid % 10000}`;
let pair: Pair | null = null;
const children: ChildProcess[] = [];
const running: ChildProcess[] = [];

/** Albert's seed state with the namespace's addresses, SSH from his machine, and `openPorts` from anywhere. */
function writeState(openPorts: number[] = []): void {
  const state = seedStateAt('albert', HOST);
  for (const port of openPorts) {
    state.SecurityGroups[0].IpPermissions.push({
      IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [],
    });
  }
  writeFileSync(stateFile, JSON.stringify(state));
}

interface Sgfw {
  child: ChildProcess;
  /** every stderr line so far that is a JSON log record */
  logs(): Record<string, unknown>[];
}

async function startSgfw(...extra: string[]): Promise<Sgfw> {
  const child = spawnInNs(pair!.host, process.execPath, [
    ENTRY, 'run', '--mode', 'host', '--state', stateFile, '--queue', String(QUEUE),
    '--metrics', `127.0.0.1:${METRICS_PORT}`, '--drop-log-rate', '5', ...extra,
  ]);
  children.push(child);
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(child, 'stderr', 'SIGINT/SIGTERM to stop', 10_000);
  // Every stderr line is a log record: a line that is not JSON fails the parse.
  const logs = (): Record<string, unknown>[] => err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, logs };
}


const SCRAPE = `
require('http').get({ host: '127.0.0.1', port: Number(process.argv[1]), path: '/metrics' }, (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => process.stdout.write(body));
}).on('error', (e) => { console.error(e.message); process.exit(1); });
`;

/** A scrape from inside the host namespace, over its own loopback. */
function scrape(): ReturnType<typeof parseExposition> {
  return parseExposition(inNs(pair!.host, process.execPath, ['-e', SCRAPE, String(METRICS_PORT)]));
}

function sample(m: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}): number {
  const s = m.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

/** Sends SIGHUP and waits for the log line of its outcome. */
async function hup(sgfw: Sgfw, outcome: 'reload' | 'reload-failed'): Promise<void> {
  const seen = waitFor(sgfw.child, 'stderr', `"event":"${outcome}"`, 10_000);
  sgfw.child.kill('SIGHUP');
  await seen;
}

describe.runIf(enabled)('operating sgfw in host mode: metrics, logs and reloads', () => {
  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    pair = createPair(tag, HOST, '10.0.1.0/24', [ALBERT_MACHINE, STRANGER], '203.0.113.0/24');
    children.push(await tcpListen(pair.host, HOST, 22));
    children.push(await tcpListen(pair.host, HOST, 8080));
  }, 150_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves metrics on loopback whose counters move with the traffic it judges', async () => {
    writeState();
    const sgfw = await startSgfw();
    const before = scrape();
    expect(sample(before, 'sgfw_up')).toBe(1);
    expect(sample(before, 'sgfw_model_version')).toBeGreaterThanOrEqual(0);
    // a histogram of every rebuild since the start, the first build included
    expect(before.get('sgfw_classifier_rebuild_seconds')!.type).toBe('histogram');
    expect(before.get('sgfw_classifier_rebuild_seconds')!.samples.find((s) => s.name === 'sgfw_classifier_rebuild_seconds_count')!.value).toBeGreaterThanOrEqual(1);
    expect(before.has('process_cpu_seconds_total')).toBe(true);

    expect(await tcpConnect(pair!.peer, HOST, 22, ALBERT_MACHINE)).toBe('connected');
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
    const after = scrape();
    const allowByRule = { interface: ENI, verdict: 'allow', reason: 'rule' };
    const dropNoRule = { interface: ENI, verdict: 'drop', reason: 'ingress-no-rule' };
    expect(sample(after, 'sgfw_packets_total', allowByRule)).toBeGreaterThan(sample(before, 'sgfw_packets_total', allowByRule));
    expect(sample(after, 'sgfw_packets_total', dropNoRule)).toBeGreaterThan(sample(before, 'sgfw_packets_total', dropNoRule));
    expect(sample(after, 'sgfw_bytes_total', dropNoRule)).toBeGreaterThanOrEqual(40 * sample(after, 'sgfw_packets_total', dropNoRule));
    expect(sample(after, 'sgfw_nfqueue_packets_total')).toBeGreaterThan(sample(before, 'sgfw_nfqueue_packets_total'));
    expect(sample(after, 'sgfw_conntrack_inserts_total')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sgfw_conntrack_entries')).toBeGreaterThanOrEqual(1);
    expect(after.has('sgfw_nfqueue_enobufs_total')).toBe(true);

    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    const logs = sgfw.logs();
    expect(logs.find((l) => l.event === 'start')).toMatchObject({ queue: QUEUE, interfaces: [ENI] });
    expect(logs.find((l) => l.event === 'drop')).toMatchObject({ reason: 'ingress-no-rule', src: STRANGER, dst: HOST, dstPort: 22 });
    expect(logs.find((l) => l.event === 'stop')).toMatchObject({ signal: 'SIGTERM' });
  }, 30_000);

  it('writes VPC Flow Logs v2 records of what it accepted and rejected, and SIGHUP reopens a rotated file', async () => {
    writeState();
    const flowLog = join(dir, 'flows.log');
    const sgfw = await startSgfw('--flow-log', flowLog);
    expect(await tcpConnect(pair!.peer, HOST, 22, ALBERT_MACHINE)).toBe('connected');
    // logrotate's move, then its postrotate SIGHUP: the next records go to a new file at the path
    renameSync(flowLog, `${flowLog}.1`);
    await hup(sgfw, 'reload');
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    // the stop writes the partial window: no record waits for the minute to end
    const records = (file: string): string[][] =>
      readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
    const all = [...records(`${flowLog}.1`), ...records(flowLog)];
    expect(records(flowLog)[0].join(' ')).toBe('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status');
    for (const r of all.filter((r) => r[0] === '2' && r[13] === 'OK')) expect(r).toHaveLength(14);
    const flows = all.filter((r) => r[0] === '2' && r[13] === 'OK');
    const accepted = flows.find((r) => r[2] === ENI && r[3] === ALBERT_MACHINE && r[4] === HOST && r[6] === '22' && r[7] === '6');
    expect(accepted?.[12]).toBe('ACCEPT');
    expect(Number(accepted?.[8])).toBeGreaterThanOrEqual(2);
    const answer = flows.find((r) => r[2] === ENI && r[3] === HOST && r[4] === ALBERT_MACHINE && r[5] === '22');
    expect(answer?.[12]).toBe('ACCEPT');
    const rejected = flows.find((r) => r[3] === STRANGER && r[6] === '22');
    expect(rejected?.[12]).toBe('REJECT');
    expect(records(flowLog).some((r) => r[3] === STRANGER)).toBe(true);
  });

  it('SIGHUP with a port opened in the state file lets the next connection in', async () => {
    writeState();
    const sgfw = await startSgfw();
    expect(await tcpConnect(pair!.peer, HOST, 8080, STRANGER, 1000)).toBe('timeout');
    const version = sample(scrape(), 'sgfw_model_version');
    writeState([8080]);
    await hup(sgfw, 'reload');
    expect(await tcpConnect(pair!.peer, HOST, 8080, STRANGER)).toBe('connected');
    const m = scrape();
    expect(sample(m, 'sgfw_reloads_total', { result: 'ok' })).toBe(1);
    expect(sample(m, 'sgfw_model_version')).toBeGreaterThan(version);
    expect(sgfw.logs().find((l) => l.event === 'reload')).toMatchObject({ groupsChanged: ['sg-0a1b2c3d4e5f60001'] });
  }, 30_000);

  it('sgfw status asks it over the metrics listener: 0 and its fields while it runs, 252 once it stopped; stderr is JSON only', async () => {
    writeState();
    const sgfw = await startSgfw();
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
    const status = (): { status: number | null; stdout: string } =>
      spawnSync('ip', ['netns', 'exec', pair!.host, process.execPath, ENTRY, 'status', '--metrics', `127.0.0.1:${METRICS_PORT}`], { encoding: 'utf8' });
    const running = status();
    expect(running.status).toBe(0);
    expect(running.stdout).toMatch(/^running\nmode: host\n/);
    expect(running.stdout).toContain(`interfaces: ${ENI}\n`);
    expect(running.stdout).toMatch(/^model version: \d+$/m);
    expect(running.stdout).toMatch(/^conntrack: \d+ of \d+ entries$/m);
    expect(running.stdout).toMatch(/^drops: .*ingress-no-rule [1-9]/m);
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
    expect(status()).toMatchObject({ status: 252, stdout: 'not running\n' });
    // every line it wrote on stderr, the ready and stop lines too, is a log record
    expect(sgfw.logs().map((l) => l.event)).toEqual(expect.arrayContaining(['start', 'ready', 'stop']));
  }, 30_000);

  it('SIGHUP with a broken state file keeps the rules in force', async () => {
    writeState();
    const sgfw = await startSgfw();
    writeFileSync(stateFile, '{"SecurityGroups": [ {');
    await hup(sgfw, 'reload-failed');
    expect(await tcpConnect(pair!.peer, HOST, 22, ALBERT_MACHINE)).toBe('connected');
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
    expect(sample(scrape(), 'sgfw_reloads_total', { result: 'error' })).toBe(1);
    const failed = sgfw.logs().find((l) => l.event === 'reload-failed');
    expect(failed).toMatchObject({ file: stateFile });
    expect(sgfw.child.exitCode).toBeNull();
    expect(await stopProcess(sgfw.child, 'SIGTERM')).toBe(0);
  }, 30_000);
});
