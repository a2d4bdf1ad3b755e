// `sgfw run --mode host --workers 2` writes what `--workers 1` writes, over the same traffic: the
// /metrics scrape (packets and bytes by interface, verdict and reason, NFQUEUE counters, conntrack
// entries; the same names), /status, the --verdicts lines (numbered 1…N in one file) and the
// --flow-log records; the per-worker series show both workers judged. The traffic is deterministic:
// UDP datagrams from 16 peer addresses (spread over both queues by the kernel's hash) with fixed
// source ports, to a port half of them may reach and to one none may, with a listener (so no ICMP
// port-unreachable, which the kernel rate-limits) and IPv6 off (no router solicitations).
// Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { inNs, sh, spawnInNs, stopProcess, waitFor } from './netns.js';
import { familyNames, flowRecords, metricSamples, metricValue, perWorkerPackets, scrapeIn, scrapeUntil, ipv6Off, udpListener, udpParityState, udpParityTraffic, UDP_SEND } from '../../support/worker-parity.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.7.10';
/** 203.0.113.40–55; the first 8, in ALLOWED (203.0.113.32/28), may send to OPEN */
const { peers: PEERS, allowed: ALLOWED, open: OPEN, closed: CLOSED, perPeer: PER_PEER } = udpParityTraffic('203.0.113');
const QUEUE = 41;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-hp-parity-'));
const tag = `hp${process.pid % 10000}`;
const ns = { host: `${tag}-h`, peer: `${tag}-p` };
const children: ChildProcess[] = [];

function setUp(): void {
  tearDown();
  const vh = `${tag}h`;
  const vp = `${tag}p`;
  sh('ip', ['netns', 'add', ns.host]);
  sh('ip', ['netns', 'add', ns.peer]);
  ipv6Off(ns.host, ns.peer);
  sh('ip', ['link', 'add', vh, 'netns', ns.host, 'type', 'veth', 'peer', 'name', vp, 'netns', ns.peer]);
  inNs(ns.host, 'ip', ['addr', 'add', `${HOST}/24`, 'dev', vh]);
  for (const a of PEERS) inNs(ns.peer, 'ip', ['addr', 'add', `${a}/24`, 'dev', vp]);
  for (const [n, dev] of [[ns.host, vh], [ns.peer, vp]] as const) {
    inNs(n, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(n, 'ip', ['link', 'set', dev, 'up']);
    inNs(n, 'ethtool', ['-K', dev, 'tx', 'off']);
  }
  inNs(ns.host, 'ip', ['route', 'add', '203.0.113.0/24', 'dev', vh]);
  inNs(ns.peer, 'ip', ['route', 'add', '10.0.7.0/24', 'dev', vp]);
}

function tearDown(): void {
  for (const n of [ns.host, ns.peer]) {
    try {
      sh('ip', ['netns', 'del', n]);
    } catch {
      // not there
    }
  }
}

interface Run {
  metrics: string;
  status: Record<string, unknown>;
  verdicts: { frame: number; verdict: string; reason: string; interfaces: string[]; rules: string[] }[];
  flows: string[];
  stop: Record<string, unknown>;
}

const TOTAL = PEERS.length * PER_PEER * 2;

async function run(workers: number): Promise<Run> {
  const verdictsFile = join(dir, `verdicts-${workers}.jsonl`);
  const flowFile = join(dir, `flows-${workers}.log`);
  const at = '127.0.0.1:9467';
  const sgfw = spawnInNs(ns.host, process.execPath, [
    ENTRY, 'run', '--mode', 'host', '--workers', String(workers), '--state', udpParityState(dir, HOST, OPEN, ALLOWED), '--queue', String(QUEUE),
    '--metrics', at, '--verdicts', verdictsFile, '--flow-log', flowFile,
  ]);
  children.push(sgfw);
  let err = '';
  sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
  sh('ip', ['netns', 'exec', ns.peer, process.execPath, '-e', UDP_SEND, HOST, String(OPEN), String(CLOSED), String(PER_PEER), ...PEERS]);
  // every datagram judged (no reply is sent, so the count stops there)
  const metrics = await scrapeUntil(ns.host, at, (t) => metricValue(t, 'sgfw_nfqueue_packets_total') >= TOTAL);
  const status = JSON.parse(scrapeIn(ns.host, at, '/status')) as Record<string, unknown>;
  expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
  const stop = err.split('\n').filter((l) => l.includes('"event":"stop"')).map((l) => JSON.parse(l))[0];
  const verdicts = readFileSync(verdictsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { metrics, status, verdicts, flows: flowRecords(flowFile), stop };
}

describe.runIf(enabled)('host mode on 2 workers reports as on 1: metrics, status, verdicts, flow logs', () => {
  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    setUp();
    await udpListener(ns.host, HOST, OPEN, children);
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    tearDown();
  });

  it('the same traffic gives the same scrape, status, verdict lines and flow records', async () => {
    const one = await run(1);
    const two = await run(2);
    const compared = ['sgfw_packets_total', 'sgfw_bytes_total', 'sgfw_nfqueue_packets_total', 'sgfw_nfqueue_enobufs_total', 'sgfw_conntrack_entries', 'sgfw_conntrack_inserts_total', 'sgfw_model_version', 'sgfw_up'];
    const expected = metricSamples(one.metrics, compared);
    // the traffic was what we sent: 8 peers × 3 allowed, the rest dropped; one flow per allowed peer
    expect(metricValue(one.metrics, 'sgfw_nfqueue_packets_total')).toBe(TOTAL);
    expect(expected).toContain('sgfw_packets_total{interface="eni-0a1b2c3d4e5f60001",verdict="allow",reason="rule"} 8');
    expect(expected).toContain('sgfw_packets_total{interface="eni-0a1b2c3d4e5f60001",verdict="allow",reason="tracked"} 16');
    expect(expected).toContain('sgfw_conntrack_entries 8');
    expect(metricSamples(two.metrics, compared)).toEqual(expected);
    // the same families besides, and how the work spread
    expect(familyNames(two.metrics)).toEqual(familyNames(one.metrics));
    expect(metricValue(two.metrics, 'sgfw_workers')).toBe(2);
    const perWorker = perWorkerPackets(two.metrics);
    expect(perWorker).toHaveLength(2);
    for (const n of perWorker) expect(n).toBeGreaterThan(0);
    expect(perWorker[0]! + perWorker[1]!).toBe(TOTAL);

    for (const key of ['allowed', 'dropped', 'dropsByReason'] as const) expect(two.status[key]).toEqual(one.status[key]);
    expect((two.status.conntrack as { entries: number }).entries).toBe((one.status.conntrack as { entries: number }).entries);

    // one file, numbered in order, the same lines but for the order flows of two workers interleave
    expect(two.verdicts.map((v) => v.frame)).toEqual(two.verdicts.map((_, i) => i + 1));
    const strip = (r: Run): string[] => r.verdicts.map(({ frame: _frame, ...rest }) => JSON.stringify(rest)).sort();
    expect(two.verdicts).toHaveLength(TOTAL);
    expect(strip(two)).toEqual(strip(one));
    expect(two.flows).toEqual(one.flows);
    expect(one.flows.filter((f) => f.includes(' ACCEPT '))).toHaveLength(8);
    expect(two.stop).toMatchObject({ workers: 2, packets: TOTAL, allowed: one.stop.allowed, dropped: one.stop.dropped });
  }, 120_000);
});
