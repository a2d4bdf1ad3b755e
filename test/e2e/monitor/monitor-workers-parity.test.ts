// `sgfw run --mode monitor --workers 2` reports what `--workers 1` reports, over the same traffic:
// the --verdicts lines (numbered 1…N in one file), the --flow-log records, the /metrics scrape
// (would-be verdicts by reason, conntrack; the same family names), /status and the stop summary;
// the per-worker series show both workers judged. The traffic is deterministic: UDP datagrams from
// 16 peer addresses (spread over both workers by the fanout hash) with fixed source ports, to a
// port with a listener and to one without, which the host answers with ICMP port-unreachable. Half
// the peers may reach both ports, so their flows are tracked and the host's errors about them,
// captured on the way out, are `related` only if they reach the worker that tracks the flow (the
// fanout program hashes an ICMP error by the datagram it quotes). IPv6 off; ARP (`not-ip`, how many
// frames depends on the neighbour caches) left out of the comparison. With --listen, an API call is
// in force on both workers when it answers.
// Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFPACKET_ADDON } from '../../../src/capture/afpacket.js';
import { apiEndpoint, awsEc2 } from '../../support/aws-cli.js';
import { freePort } from '../../support/free-port.js';
import { createCredentials } from '../../support/serve-process.js';
import { familyNames, flowRecords, judgedIp, metricSamples, metricValue, notArp, perWorkerPackets, scrapeIn, scrapeUntil, ipv6Off, udpListener, udpParityState, udpParityTraffic, UDP_SEND } from '../../support/worker-parity.js';
import { createPair, destroyPair, inNs, sh, spawnInNs, stopProcess, waitFor, type Pair } from '../host-mode/netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.0.10';
/** 198.51.100.40–55; the first 8, in ALLOWED (198.51.100.32/28), may send to OPEN and CLOSED (see state()) */
const { peers: PEERS, allowed: ALLOWED, open: OPEN, closed: CLOSED, perPeer: PER_PEER } = udpParityTraffic('198.51.100');
/** each peer's datagrams to both ports, and the host's port-unreachable for each to CLOSED */
const TOTAL = PEERS.length * PER_PEER * 3;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-mw-parity-'));
const tag = `mw${process.pid % 10000}`;
const children: ChildProcess[] = [];
let pair: Pair | null = null;

/** udpParityState's, with the rule opened from OPEN to CLOSED (a tracked flow to a closed port draws an error about it). */
function state(): string {
  const file = udpParityState(dir, HOST, OPEN, ALLOWED);
  const s = JSON.parse(readFileSync(file, 'utf8'));
  s.SecurityGroups[0].IpPermissions[0].ToPort = CLOSED;
  writeFileSync(file, JSON.stringify(s));
  return file;
}

const scrape = (at: string, path = '/metrics'): string => scrapeIn(pair!.host, at, path);

interface Run {
  metrics: string;
  status: Record<string, unknown>;
  verdicts: { frame: number; verdict: string; reason: string }[];
  flows: string[];
  stop: { byReason: Record<string, number>; workers: number; perWorker?: number[] };
  ready: Record<string, unknown>;
  summary: string;
}

async function run(workers: number): Promise<Run> {
  for (const n of [pair!.host, pair!.peer]) inNs(n, 'ip', ['neigh', 'flush', 'all']);
  const verdictsFile = join(dir, `verdicts-${workers}.jsonl`);
  const flowFile = join(dir, `flows-${workers}.log`);
  const at = `127.0.0.1:${await freePort()}`;
  const sgfw = spawnInNs(pair!.host, process.execPath, [
    ENTRY, 'run', '--mode', 'monitor', '--interface', `sgh${tag}`, '--capture', 'afpacket', '--workers', String(workers),
    '--state', state(), '--metrics', at, '--verdicts', verdictsFile, '--flow-log', flowFile,
  ]);
  children.push(sgfw);
  let err = '';
  let summary = '';
  sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  sgfw.stdout!.on('data', (d: Buffer) => (summary += d.toString()));
  await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
  sh('ip', ['netns', 'exec', pair!.peer, process.execPath, '-e', UDP_SEND, HOST, String(OPEN), String(CLOSED), String(PER_PEER), ...PEERS]);
  const metrics = await scrapeUntil(pair!.host, at, (t) => judgedIp(t) >= TOTAL);
  const status = JSON.parse(scrape(at, '/status')) as Record<string, unknown>;
  expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
  const records = err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const verdicts = readFileSync(verdictsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return {
    metrics, status, verdicts, flows: flowRecords(flowFile), summary,
    stop: records.find((r) => r.event === 'stop') as unknown as Run['stop'],
    ready: records.find((r) => r.event === 'ready')!,
  };
}

describe.runIf(enabled)('monitor mode on 2 workers reports as on 1: verdicts, flow logs, metrics, status, summary', () => {
  beforeAll(async () => {
    expect(existsSync(AFPACKET_ADDON.pathname), `${AFPACKET_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    pair = createPair(tag, HOST, '10.0.0.0/24', PEERS, '198.51.100.0/24');
    ipv6Off(pair.host, pair.peer);
    // every datagram to CLOSED gets its error: no per-destination or per-second ICMP limit in the host's namespace
    inNs(pair.host, 'sysctl', ['-qw', 'net.ipv4.icmp_ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000', 'net.ipv4.icmp_msgs_burst=100000']);
    await udpListener(pair.host, HOST, OPEN, children);
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
  });

  it('the same traffic gives the same verdict lines, flow records, scrape, status and summary', async () => {
    const one = await run(1);
    const two = await run(2);
    expect(one.ready).toMatchObject({ mode: 'monitor', capture: 'afpacket', workers: 1 });
    expect(two.ready).toMatchObject({ mode: 'monitor', capture: 'afpacket', workers: 2 });

    // The traffic was what we sent: the allowed peers' first datagram to each port by a rule, the
    // rest of their flows tracked, the host's errors about them related; the other peers' dropped
    // (would be), and the errors about those judged by the egress rule.
    const compared = ['sgfw_packets_total', 'sgfw_conntrack_entries', 'sgfw_model_version', 'sgfw_up'];
    const expected = metricSamples(one.metrics, compared, notArp);
    expect(judgedIp(one.metrics)).toBe(TOTAL);
    expect(expected).toContain('sgfw_packets_total{verdict="allow",reason="rule"} 40');
    expect(expected).toContain(`sgfw_packets_total{verdict="allow",reason="tracked"} ${8 * 2 * (PER_PEER - 1)}`);
    expect(expected).toContain(`sgfw_packets_total{verdict="allow",reason="related"} ${8 * PER_PEER}`);
    expect(expected).toContain(`sgfw_packets_total{verdict="drop",reason="ingress-no-rule"} ${8 * 2 * PER_PEER}`);
    expect(metricSamples(two.metrics, compared, notArp)).toEqual(expected);
    expect(familyNames(two.metrics)).toEqual(familyNames(one.metrics));
    expect(familyNames(two.metrics)).toContain('sgfw_monitor_frames_total');
    expect(metricValue(two.metrics, 'sgfw_workers')).toBe(2);
    const perWorker = perWorkerPackets(two.metrics);
    expect(perWorker).toHaveLength(2);
    for (const n of perWorker) expect(n).toBeGreaterThan(0);

    expect(two.status).toMatchObject({ status: 'running', mode: 'monitor' });
    expect((two.status.conntrack as { entries: number }).entries).toBe((one.status.conntrack as { entries: number }).entries);

    // one file, numbered in order; the same lines but for the order flows of two workers interleave
    expect(two.verdicts.map((v) => v.frame)).toEqual(two.verdicts.map((_, i) => i + 1));
    const strip = (r: Run): string[] => r.verdicts.filter((v) => v.reason !== 'not-ip').map(({ frame: _frame, ...rest }) => JSON.stringify(rest)).sort();
    expect(strip(two)).toHaveLength(TOTAL);
    expect(strip(two)).toEqual(strip(one));
    expect(two.flows).toEqual(one.flows);
    expect(one.flows.filter((f) => f.includes(' REJECT ')).length).toBeGreaterThan(0);

    // the stop record and the summary on stdout: the workers' counters added up
    const ipReasons = (s: Run['stop']): Record<string, number> => Object.fromEntries(Object.entries(s.byReason).filter(([r]) => r !== 'not-ip'));
    expect(ipReasons(two.stop)).toEqual(ipReasons(one.stop));
    expect(two.stop.workers).toBe(2);
    expect(two.stop.perWorker!.reduce((a, b) => a + b, 0)).toBe(two.verdicts.length);
    const interfaces = (s: string): string => s.slice(s.indexOf('interfaces\n'));
    expect(interfaces(two.summary)).toContain('eni-');
    expect(interfaces(two.summary).replace(/\n?frames dropped.*\n/, '')).toEqual(interfaces(one.summary).replace(/\n?frames dropped.*\n/, ''));
  }, 120_000);

  it('with --listen, an API call is in force on both workers when it answers', async () => {
    const stateDir = join(dir, 'api-state');
    const credentials = createCredentials(stateDir);
    const file = state();
    const group = JSON.parse(readFileSync(file, 'utf8')).SecurityGroups[0].GroupId as string;
    const at = `127.0.0.1:${await freePort()}`;
    const sgfw = spawnInNs(pair!.host, process.execPath, [
      ENTRY, 'run', '--mode', 'monitor', '--interface', `sgh${tag}`, '--capture', 'afpacket', '--workers', '2',
      '--state', file, '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--metrics', at,
    ]);
    children.push(sgfw);
    let err = '';
    sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
    const aws = awsEc2(apiEndpoint(err), credentials, { netns: pair!.host });
    /** the 8 peers outside ALLOWED: each sends PER_PEER datagrams to OPEN and to CLOSED */
    const strangers = PEERS.slice(8);
    const reason = (text: string, r: string): number => metricSamples(text, ['sgfw_packets_total'], (l) => l.includes(`reason="${r}"`)).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    const sendAndScrape = async (until: number): Promise<string> => {
      sh('ip', ['netns', 'exec', pair!.peer, process.execPath, '-e', UDP_SEND, HOST, String(OPEN), String(CLOSED), String(PER_PEER), ...strangers]);
      return scrapeUntil(pair!.host, at, (t) => judgedIp(t) >= until);
    };
    const sent = strangers.length * PER_PEER * 2;
    /** each datagram, and the host's port unreachable for each to CLOSED (allowed by the egress rule) */
    const frames = sent + sent / 2;
    const before = await sendAndScrape(frames);
    expect(reason(before, 'ingress-no-rule')).toBe(sent);
    expect(reason(before, 'rule')).toBe(sent / 2);

    // Opened to the strangers for OPEN only: right after the answer, every datagram to it is allowed, whichever worker judges it.
    const authorized = await aws('authorize-security-group-ingress', '--group-id', group, '--protocol', 'udp', '--port', String(OPEN), '--cidr', '198.51.100.48/29');
    expect(authorized.code, authorized.stderr).toBe(0);
    const after = await sendAndScrape(2 * frames);
    expect(judgedIp(after)).toBe(2 * frames);
    expect(reason(after, 'ingress-no-rule')).toBe(sent + sent / 2);
    expect(reason(after, 'rule') - reason(before, 'rule')).toBe(strangers.length + sent / 2);
    expect(reason(after, 'tracked') - reason(before, 'tracked')).toBe(strangers.length * (PER_PEER - 1));
    for (const n of perWorkerPackets(after)) expect(n).toBeGreaterThan(0);
    expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
  }, 120_000);
});
