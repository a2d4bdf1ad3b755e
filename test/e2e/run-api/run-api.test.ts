// `sgfw run --mode host --listen`: the EC2 API in the same process as the enforcement. Albert
// (seed 000) in his own namespace behind sgfw's NFQUEUE; the real `aws` CLI runs in that namespace
// against the API on its loopback (which host mode never queues), and what it authorizes is in force
// for the next TCP connection from the peer namespace. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { createCredentials } from '../../support/serve-process.js';
import { createPair, destroyPair, spawnInNs, stopProcess, tcpConnect, tcpListen, waitFor, type Pair } from '../host-mode/netns.js';
import { apiEndpoint, awsEc2 } from '../../support/aws-cli.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.2.10';
const ALBERT_MACHINE = '203.0.113.5';
const STRANGER = '203.0.113.6';
const GROUP = 'sg-0a1b2c3d4e5f60001';
const QUEUE = 11;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-run-api-'));
const tag = `ra${process.pid % 10000}`;
let pair: Pair | null = null;
const children: ChildProcess[] = [];
const running: ChildProcess[] = [];

/** Albert's seed state with the namespace's addresses: his host, SSH from his machine only. */
function writeState(): string {
  const state = seedStateAt('albert', HOST);
  const file = join(dir, 'albert.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

describe.runIf(enabled)('sgfw run --listen: an API call changes what host mode enforces, live', () => {
  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    pair = createPair(tag, HOST, '10.0.2.0/24', [ALBERT_MACHINE, STRANGER], '203.0.113.0/24');
    children.push(await tcpListen(pair.host, HOST, 8080));
  }, 60_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
  });

  it('authorize opens a port for the next connection, revoke closes it for new ones; SIGHUP re-reads only the keys', async () => {
    const stateDir = join(dir, 'state');
    const credentials = createCredentials(stateDir);
    const verdicts = join(dir, 'verdicts.jsonl');
    const sgfw = spawnInNs(pair!.host, process.execPath, [
      ENTRY, 'run', '--mode', 'host', '--state', writeState(), '--state-dir', stateDir, '--listen', '127.0.0.1:0',
      '--queue', String(QUEUE), '--verdicts', verdicts,
    ]);
    children.push(sgfw);
    running.push(sgfw);
    let err = '';
    sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
    const aws = awsEc2(apiEndpoint(err), credentials, { netns: pair!.host });

    expect(await tcpConnect(pair!.peer, HOST, 8080, STRANGER, 1000)).toBe('timeout');
    const permission = ['--group-id', GROUP, '--protocol', 'tcp', '--port', '8080', '--cidr', `${STRANGER}/32`];
    const authorized = await aws('authorize-security-group-ingress', ...permission);
    expect(authorized.code, authorized.stderr).toBe(0);
    expect(authorized.json.Return).toBe(true);
    expect(await tcpConnect(pair!.peer, HOST, 8080, STRANGER)).toBe('connected');
    // the rule names the stranger only
    expect(await tcpConnect(pair!.peer, HOST, 8080, ALBERT_MACHINE, 1000)).toBe('timeout');

    const revoked = await aws('revoke-security-group-ingress', ...permission);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await tcpConnect(pair!.peer, HOST, 8080, STRANGER, 1000)).toBe('timeout');

    sgfw.kill('SIGHUP');
    await expect.poll(() => err, { timeout: 5000 }).toContain('"reload":"credentials"'); // SIGHUP re-reads the keys (the rules live in the state directory)
    expect(sgfw.exitCode).toBeNull();
    expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);

    const lines = readFileSync(verdicts, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { verdict: string; reason: string });
    expect(lines.some((l) => l.verdict === 'allow' && l.reason === 'rule')).toBe(true);
    expect(lines.some((l) => l.verdict === 'drop' && l.reason === 'ingress-no-rule')).toBe(true);
    expect(err).toContain('"event":"model-change"');
    // The store kept the calls: the state directory journaled both.
    expect(readFileSync(join(stateDir, 'journal.log'), 'utf8')).toMatch(/AuthorizeSecurityGroupIngress[\s\S]*RevokeSecurityGroupIngress/);
  }, 90_000);
});
