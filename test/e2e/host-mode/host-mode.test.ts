// `sgfw run --mode host` on a real kernel: Albert (seed 000) in his own network namespace behind
// sgfw's NFQUEUE, reached over a veth pair from a peer namespace holding his machine's address and
// a stranger's. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { createPair, destroyPair, inNs, spawnInNs, tcpConnect, tcpListen, waitFor, stopProcess, type Pair } from './netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.0.10';
const ALBERT_MACHINE = '203.0.113.5';
const STRANGER = '203.0.113.6';
const QUEUE = 7;
/** the rule's target: one queue with --workers 1, a balanced range over the default (the cores available) */
const CORES = availableParallelism();
const TARGET = CORES > 1 ? `-j NFQUEUE --queue-balance ${QUEUE}:${QUEUE + CORES - 1}` : `-j NFQUEUE --queue-num ${QUEUE}`;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-host-mode-'));
const tag = String(process.pid % 100000);
let pair: Pair | null = null;
const children: ChildProcess[] = [];
/** sgfw processes of the current test: stopped after it, pass or fail, so the next can bind the queue */
const running: ChildProcess[] = [];

/** Albert's seed state with the namespace's addresses: his host, and SSH from his machine only. */
function writeState(): string {
  const state = seedStateAt('albert', HOST);
  const ssh = state.SecurityGroups[0].IpPermissions.find((p: { FromPort?: number }) => p.FromPort === 22);
  ssh.IpRanges = [{ CidrIp: `${ALBERT_MACHINE}/32`, Description: 'Albert own machine' }];
  const file = join(dir, 'albert.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

async function startSgfw(verdicts: string, ...extra: string[]): Promise<ChildProcess> {
  const c = spawnInNs(pair!.host, process.execPath, [ENTRY, 'run', '--mode', 'host', '--state', writeState(), '--queue', String(QUEUE), '--verdicts', verdicts, ...extra]);
  children.push(c);
  running.push(c);
  await waitFor(c, 'stderr', 'SIGINT/SIGTERM to stop', 10_000);
  return c;
}


function rules(binary: 'iptables' | 'ip6tables'): string {
  return inNs(pair!.host, binary, ['-w', '-S']);
}

function verdictLines(file: string): { verdict: string; reason: string }[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe.runIf(enabled)('sgfw run --mode host enforces Albert\'s default group on his host', () => {
  beforeAll(async () => {
    // scripts/build-native.sh (run by setup) or the vitest globalSetup built the addon.
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    pair = createPair(tag, HOST, '10.0.0.0/24', [ALBERT_MACHINE, STRANGER], '203.0.113.0/24');
    children.push(await tcpListen(pair.host, HOST, 22));
    children.push(await tcpListen(pair.peer, STRANGER, 8080));
  }, 150_000);

  afterEach(async () => {
    for (const c of running.splice(0)) await stopProcess(c, 'SIGTERM');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
  });

  it('lets SSH in from Albert\'s machine only, and lets Albert connect out', async () => {
    const verdicts = join(dir, 'verdicts-1.jsonl');
    const sgfw = await startSgfw(verdicts);
    expect(await tcpConnect(pair!.peer, HOST, 22, ALBERT_MACHINE)).toBe('connected');
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
    expect(await tcpConnect(pair!.host, STRANGER, 8080)).toBe('connected');
    expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
    const lines = verdictLines(verdicts);
    expect(lines.some((l) => l.verdict === 'drop' && l.reason === 'ingress-no-rule')).toBe(true);
    expect(lines.some((l) => l.verdict === 'allow' && l.reason === 'rule')).toBe(true);
  }, 30_000);

  it('removes its rules on SIGTERM and SIGINT, leaving the host open (one worker per core by default, or --workers 1)', async () => {
    for (const [signal, workers, target] of [['SIGTERM', [], TARGET], ['SIGINT', ['--workers', '1'], `-j NFQUEUE --queue-num ${QUEUE}`]] as const) {
      const sgfw = await startSgfw(join(dir, `verdicts-${signal}.jsonl`), ...workers);
      expect(rules('iptables')).toContain(target);
      expect(rules('ip6tables')).toContain(target);
      expect(await stopProcess(sgfw, signal)).toBe(0);
      expect(rules('iptables')).not.toContain('SGFW');
      expect(rules('ip6tables')).not.toContain('SGFW');
    }
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER)).toBe('connected');
  }, 30_000);

  it('fails closed when it dies, and its next start clears the leftovers', async () => {
    const first = await startSgfw(join(dir, 'verdicts-crash.jsonl'));
    await stopProcess(first, 'SIGKILL');
    expect(rules('iptables')).toContain('-A INPUT -j SGFW');
    expect(await tcpConnect(pair!.peer, HOST, 22, ALBERT_MACHINE, 1000)).toBe('timeout');

    const second = await startSgfw(join(dir, 'verdicts-restart.jsonl'));
    expect(rules('iptables').match(/-A INPUT -j SGFW/g)).toHaveLength(1);
    expect(await tcpConnect(pair!.peer, HOST, 22, ALBERT_MACHINE)).toBe('connected');
    expect(await stopProcess(second, 'SIGTERM')).toBe(0);
  }, 30_000);

  it('with --fail-open, lets traffic pass while no sgfw reads the queue', async () => {
    const sgfw = await startSgfw(join(dir, 'verdicts-open.jsonl'), '--fail-open');
    expect(rules('iptables')).toContain(`${TARGET} --queue-bypass`);
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
    await stopProcess(sgfw, 'SIGKILL');
    expect(await tcpConnect(pair!.peer, HOST, 22, STRANGER)).toBe('connected');
    // the leftovers go with the next start
    await stopProcess(await startSgfw(join(dir, 'verdicts-open-2.jsonl')), 'SIGTERM');
    expect(rules('iptables')).not.toContain('SGFW');
  }, 30_000);

  it('never queues loopback traffic', async () => {
    const sgfw = await startSgfw(join(dir, 'verdicts-lo.jsonl'));
    const lo = rules('iptables');
    expect(lo).toMatch(/-A SGFW -i lo -j RETURN\n-A SGFW -o lo -j RETURN\n-A SGFW -j NFQUEUE/);
    await stopProcess(sgfw, 'SIGTERM');
  }, 30_000);
});
