// `sgfw run --mode host --workers 2 --listen`: the packets spread over two NFQUEUE queues, one per
// worker thread, and an API call is in force on both workers before its answer: the connection
// made right after the answer, from any of 16 addresses (spread over both queues by the kernel's
// hash), gets through; right after a revoke, none does. Changes to a group no interface is in, which
// wake no worker, open nothing and leave the next change to wait for nothing. The workers run with
// --realtime-workers (SCHED_FIFO), as the log line says. The --flow-log names the API's account for an
// interface whose groups the model does not know, as one thread's does. Needs root; skipped only
// outside CI when not root.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { DEFAULT_ACCOUNT_ID } from '../../../src/control/service-options.js';
import { createCredentials } from '../../support/serve-process.js';
import { apiEndpoint, awsEc2 } from '../../support/aws-cli.js';
import { createPair, destroyPair, spawnInNs, stopProcess, tcpConnect, tcpListen, waitFor, type Pair } from './netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.3.10';
const PEERS = Array.from({ length: 16 }, (_, i) => `203.0.113.${40 + i}`);
const GROUP = 'sg-0a1b2c3d4e5f60001';
/** an interface in no group the model knows (at an address not on the host): its flow records fall back to the API's account */
const GROUPLESS = 'eni-0c1d2e3f4051600aa';
const QUEUE = 31;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-host-workers-'));
const tag = `wk${process.pid % 10000}`;
let pair: Pair | null = null;
const children: ChildProcess[] = [];

function writeState(): string {
  const state = seedStateAt('albert', HOST);
  const eni = state.NetworkInterfaces[0];
  state.NetworkInterfaces.push({ ...eni, NetworkInterfaceId: GROUPLESS, PrivateIpAddress: '10.0.3.99', PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.3.99' }], Groups: [] });
  const file = join(dir, 'albert.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

const fromEveryPeer = (ms = 1500) => Promise.all(PEERS.map((p) => tcpConnect(pair!.peer, HOST, 8080, p, ms)));

describe.runIf(enabled)('sgfw run --mode host --workers 2: one queue per worker, API changes in force on all before the answer', () => {
  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    pair = createPair(tag, HOST, '10.0.3.0/24', PEERS, '203.0.113.0/24');
    children.push(await tcpListen(pair.host, HOST, 8080));
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
  });

  it('authorize opens the port on both workers by the time it answers; revoke closes it on both', async () => {
    const stateDir = join(dir, 'state');
    const credentials = createCredentials(stateDir);
    const flowLog = join(dir, 'flows.log');
    const sgfw = spawnInNs(pair!.host, process.execPath, [
      ENTRY, 'run', '--mode', 'host', '--workers', '2', '--state', writeState(), '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--queue', String(QUEUE),
      '--flow-log', flowLog, '--realtime-workers',
    ]);
    children.push(sgfw);
    let err = '';
    sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
    expect(err).toContain(`NFQUEUE ${QUEUE}:${QUEUE + 1} (2 workers)`);
    expect(err).toMatch(/packet workers on threads \d+, \d+, in SCHED_FIFO priority 10/);
    const aws = awsEc2(apiEndpoint(err), credentials, { netns: pair!.host });

    expect(new Set(await fromEveryPeer(1000))).toEqual(new Set(['timeout']));
    // a group no interface is in: the workers are not sent its changes, and nothing opens here
    const spare = await aws('create-security-group', '--group-name', 'spare', '--description', 'spare', '--vpc-id', 'vpc-0a1b2c3d4e5f60718');
    expect(spare.code, spare.stderr).toBe(0);
    const spareId = spare.json.GroupId as string;
    const opened = await aws('authorize-security-group-ingress', '--group-id', spareId, '--protocol', 'tcp', '--port', '8080', '--cidr', '203.0.113.0/24');
    expect(opened.code, opened.stderr).toBe(0);
    expect(new Set(await fromEveryPeer(1000))).toEqual(new Set(['timeout']));
    const permission = ['--group-id', GROUP, '--protocol', 'tcp', '--port', '8080', '--cidr', '203.0.113.0/24'];
    const authorized = await aws('authorize-security-group-ingress', ...permission);
    expect(authorized.code, authorized.stderr).toBe(0);
    expect(new Set(await fromEveryPeer())).toEqual(new Set(['connected']));

    const revoked = await aws('revoke-security-group-ingress', ...permission);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(new Set(await fromEveryPeer(1000))).toEqual(new Set(['timeout']));

    expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
    const stop = err.split('\n').filter((l) => l.includes('"event":"stop"')).map((l) => JSON.parse(l))[0];
    expect(stop.workers).toBe(2);
    // both queues carried traffic: the kernel spread the 16 peers over both workers
    expect(stop.perWorker).toHaveLength(2);
    for (const n of stop.perWorker) expect(n).toBeGreaterThan(0);
    expect(stop.allowed).toBeGreaterThan(0);
    expect(stop.dropped).toBeGreaterThan(0);
    // --realtime-workers: the capability drop keeps CAP_SYS_NICE (the real-time guard gives a worker
    // it sent back its class again); the guard's doings are in the workers' pauses
    const caps = err.split('\n').filter((l) => l.includes('"event":"capabilities-dropped"')).map((l) => JSON.parse(l))[0];
    expect(caps).toMatchObject({ dropped: true, kept: [12, 13, 23] });
    expect(stop.workerPauses).toMatchObject({ realtimeDemotions: expect.any(Number), realtimeDemotedMs: expect.any(Number) });

    // Flow records (version account-id interface-id …): Albert's interface names its group's owner;
    // the groupless one (NODATA, no traffic) the API's account.
    const records = readFileSync(flowLog, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split(' '));
    const of = (eni: string) => records.filter((r) => r[2] === eni);
    expect(of('eni-0a1b2c3d4e5f60001').filter((r) => r[13] === 'OK').length).toBeGreaterThan(0);
    expect(new Set(of('eni-0a1b2c3d4e5f60001').map((r) => r[1]))).toEqual(new Set(['111122223333']));
    expect(of(GROUPLESS).map((r) => r[13])).toContain('NODATA');
    expect(new Set(of(GROUPLESS).map((r) => r[1]))).toEqual(new Set([DEFAULT_ACCOUNT_ID]));
  }, 120_000);

  it('--realtime-workers without CAP_SYS_NICE refuses to start, in one line naming what is missing, before any queue or rule', async () => {
    const sgfw = spawnInNs(pair!.host, 'setpriv', ['--bounding-set=-sys_nice', process.execPath, ENTRY, 'run', '--mode', 'host', '--workers', '2', '--realtime-workers', '--state', writeState(), '--queue', String(QUEUE)]);
    children.push(sgfw);
    let err = '';
    sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => sgfw.on('exit', resolve));
    expect(code, err).toBe(1);
    const lines = err.split('\n').filter(Boolean);
    expect(lines, err).toHaveLength(1);
    expect(lines[0]).toMatch(/--realtime-workers: a worker thread cannot take SCHED_FIFO priority 10 \(.*Operation not permitted\): needs root or CAP_SYS_NICE/);
    // nothing was left queueing this host's packets
    expect(execFileSync('ip', ['netns', 'exec', pair!.host, 'iptables', '-S'], { encoding: 'utf8' })).not.toContain('NFQUEUE');
  }, 60_000);
});
