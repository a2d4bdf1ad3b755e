// `sgfw run --mode inline --workers 2` reports what `--workers 1` reports, over the same traffic:
// the /metrics scrape (packets and bytes by interface, verdict and reason, conntrack entries; the
// same family names), /status, the --verdicts lines (numbered 1…N in one file) and the --flow-log
// records; the per-worker series show both workers judged. The traffic is deterministic: UDP
// datagrams from 16 outside addresses (spread over both workers by the fanout hash) with fixed
// source ports, to a port half of them may reach and to one none may, with a listener inside (no
// ICMP port-unreachable) and IPv6 off. ARP crosses the bridge too, as `not-ip`: left out of the
// comparison (how many ARP frames a run sees depends on the neighbour caches).
// Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFPACKET_ADDON } from '../../../src/capture/afpacket.js';
import { inNs, sh, spawnInNs, stopProcess, waitFor } from '../host-mode/netns.js';
import { createBridgeNet, destroyBridgeNet, type BridgeNet } from './bridge-netns.js';
import { familyNames, flowRecords, judgedIp, metricSamples, metricValue, notArp, perWorkerPackets, scrapeIn, scrapeUntil, ipv6Off, udpListener, udpParityState, udpParityTraffic, UDP_SEND } from '../../support/worker-parity.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '203.0.113.10';
/** 203.0.113.40–55; the first 8, in ALLOWED (203.0.113.32/28), may send to OPEN */
const { peers: PEERS, allowed: ALLOWED, open: OPEN, closed: CLOSED, perPeer: PER_PEER } = udpParityTraffic('203.0.113');
const TOTAL = PEERS.length * PER_PEER * 2;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-iw-parity-'));
const tag = `${process.pid % 10000}`;
const children: ChildProcess[] = [];
let net: BridgeNet | null = null;

const scrape = (at: string, path = '/metrics'): string => scrapeIn(net!.middle, at, path);

interface Run {
  metrics: string;
  status: Record<string, unknown>;
  verdicts: { frame: number; verdict: string; reason: string }[];
  flows: string[];
  stop: Record<string, unknown>;
}

async function run(workers: number): Promise<Run> {
  for (const n of [net!.outside, net!.inside]) inNs(n, 'ip', ['neigh', 'flush', 'all']);
  const verdictsFile = join(dir, `verdicts-${workers}.jsonl`);
  const flowFile = join(dir, `flows-${workers}.log`);
  const at = '127.0.0.1:9468';
  const sgfw = spawnInNs(net!.middle, process.execPath, [
    ENTRY, 'run', '--mode', 'inline', '--inside', net!.middleInside, '--outside', net!.middleOutside, '--capture', 'afpacket',
    '--workers', String(workers), '--state', udpParityState(dir, HOST, OPEN, ALLOWED), '--metrics', at, '--verdicts', verdictsFile, '--flow-log', flowFile,
  ]);
  children.push(sgfw);
  let err = '';
  sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
  sh('ip', ['netns', 'exec', net!.outside, process.execPath, '-e', UDP_SEND, HOST, String(OPEN), String(CLOSED), String(PER_PEER), ...PEERS]);
  const metrics = await scrapeUntil(net!.middle, at, (t) => judgedIp(t) >= TOTAL);
  const status = JSON.parse(scrape(at, '/status')) as Record<string, unknown>;
  expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
  const stop = err.split('\n').filter((l) => l.includes('"event":"stop"')).map((l) => JSON.parse(l))[0];
  const verdicts = readFileSync(verdictsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { metrics, status, verdicts, flows: flowRecords(flowFile), stop };
}

describe.runIf(enabled)('inline mode on 2 workers reports as on 1: metrics, status, verdicts, flow logs', () => {
  beforeAll(async () => {
    expect(existsSync(AFPACKET_ADDON.pathname), `${AFPACKET_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    net = createBridgeNet(tag, HOST, PEERS, 'iw');
    ipv6Off(net.outside, net.inside);
    await udpListener(net.inside, HOST, OPEN, children);
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (net) destroyBridgeNet(net);
  });

  it('the same traffic gives the same scrape, status, verdict lines and flow records', async () => {
    const one = await run(1);
    const two = await run(2);
    const compared = ['sgfw_packets_total', 'sgfw_bytes_total', 'sgfw_conntrack_entries', 'sgfw_conntrack_inserts_total', 'sgfw_model_version', 'sgfw_up'];
    const expected = metricSamples(one.metrics, compared, notArp);
    // the traffic was what we sent: 8 peers × 3 allowed (the first a rule, then tracked), the rest dropped
    expect(judgedIp(one.metrics)).toBe(TOTAL);
    expect(expected).toContain('sgfw_packets_total{interface="eni-0a1b2c3d4e5f60001",verdict="allow",reason="rule"} 8');
    expect(expected).toContain('sgfw_packets_total{interface="eni-0a1b2c3d4e5f60001",verdict="allow",reason="tracked"} 16');
    expect(metricSamples(two.metrics, compared, notArp)).toEqual(expected);
    // the same families besides (the inline and capture ones too), and how the work spread
    expect(familyNames(two.metrics)).toEqual(familyNames(one.metrics));
    expect(familyNames(two.metrics)).toContain('sgfw_inline_frames_forwarded_total');
    expect(metricValue(two.metrics, 'sgfw_workers')).toBe(2);
    const perWorker = perWorkerPackets(two.metrics);
    expect(perWorker).toHaveLength(2);
    for (const n of perWorker) expect(n).toBeGreaterThan(0);

    expect((two.status.conntrack as { entries: number }).entries).toBe((one.status.conntrack as { entries: number }).entries);

    // one file, numbered in order, the same IP lines but for the order flows of two workers interleave
    expect(two.verdicts.map((v) => v.frame)).toEqual(two.verdicts.map((_, i) => i + 1));
    const strip = (r: Run): string[] => r.verdicts.filter((v) => v.reason !== 'not-ip').map(({ frame: _frame, ...rest }) => JSON.stringify(rest)).sort();
    expect(strip(two)).toHaveLength(TOTAL);
    expect(strip(two)).toEqual(strip(one));
    expect(two.flows).toEqual(one.flows);
    expect(one.flows.filter((f) => f.includes(' ACCEPT '))).toHaveLength(8);
    expect(two.stop).toMatchObject({ workers: 2 });
  }, 120_000);
});
