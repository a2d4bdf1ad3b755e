// `sgfw replay --workers N` against one thread: the same verdicts, summary and output files, byte
// for byte, on the benchmark's workload with changes mid-capture, on the bundled scenarios, with
// ICMP errors about flows whose frames another worker judges, and with a refused timeline call.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFrames, makeModel, stateDocument, groupId, interfaceId } from '../../bench/lib/workload.mjs';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { replay, type ReplayOptions, type ReplaySummary } from '../../src/replay/replay-run.js';
import { replayOnWorkers } from '../../src/replay/replay-workers.js';
import { parseTimeline } from '../../src/replay/timeline.js';
import { SCENARIOS } from '../../scripts/pcap-scenarios.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'pcaps');
const tmp = mkdtempSync(join(tmpdir(), 'sgfw-replay-workers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  summary: ReplaySummary;
  files: Record<string, string>;
}

/** Replays on `workers` threads (1: the one-thread replay) with every output, and reads them back. */
async function run(name: string, workers: number, state: string, captures: string[], timelineText = ''): Promise<Run> {
  const dir = join(tmp, `${name}-${workers}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const service = await serviceFromStateFiles([state]);
  const options: ReplayOptions = {
    captures,
    timeline: parseTimeline('timeline.jsonl', timelineText),
    timelineFile: 'timeline.jsonl',
    verdictsFile: join(dir, 'verdicts.jsonl'),
    flowLogFile: join(dir, 'flow.log'),
    writeAllowedFile: join(dir, 'allowed.pcap'),
    accountId: service.accountId,
  };
  const summary = workers === 1 ? await replay(service, options) : await replayOnWorkers(service, options, workers);
  const files: Record<string, string> = {};
  for (const f of ['verdicts.jsonl', 'flow.log', 'allowed.pcap']) {
    const p = join(dir, f);
    files[f] = existsSync(p) ? readFileSync(p).toString('base64') : '(none)';
  }
  return { summary, files };
}

/** The one-thread run, and the same on 2 and 3 workers: everything equal. */
async function expectSameOnWorkers(name: string, state: string, captures: string[], timelineText = ''): Promise<Run> {
  const one = await run(name, 1, state, captures, timelineText);
  for (const workers of [2, 3]) {
    const many = await run(name, workers, state, captures, timelineText);
    const { workers: threads, ...summary } = many.summary;
    expect(summary).toEqual(one.summary);
    expect(threads).toHaveLength(workers);
    expect(threads!.reduce((n, t) => n + t.judged, 0)).toBe(one.summary.frames);
    for (const f of Object.keys(one.files)) expect(many.files[f], `${f} on ${workers} workers`).toBe(one.files[f]);
  }
  return one;
}

function writeCapture(file: string, frames: { data: Uint8Array; ms: number }[]): void {
  const w = new PcapWriter(file, 1, { nanosecond: true });
  for (const f of frames) {
    const sec = Math.floor(f.ms / 1000);
    w.write({ linkType: 1, tsSec: sec, tsNanos: Math.round((f.ms - sec * 1000) * 1e6), caplen: f.data.length, origLen: f.data.length, data: f.data, offset: 0 });
  }
  w.close();
}

describe('replay on worker threads gives what one thread gives', () => {
  it('on the benchmark workload, with rules and interfaces changed mid-capture', async () => {
    const m = makeModel({ rules: 200, interfaces: 60 });
    const state = join(tmp, 'bench-state.json');
    writeFileSync(state, JSON.stringify(stateDocument(m)));
    const w = makeFrames(m, { frames: 30_000, concurrent: 3000 });
    const capture = join(tmp, 'bench.pcap');
    writeCapture(capture, Array.from({ length: w.count }, (_, i) => ({ data: w.data.subarray(w.offsets[i], w.offsets[i] + w.lengths[i]), ms: w.timesMs[i] })));
    const world443 = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
    const timeline = [
      { beforeFrame: 1, Action: 'RevokeSecurityGroupIngress', Parameters: { GroupId: groupId(1), IpPermissions: [world443] } },
      { beforeFrame: 8000, Action: 'RevokeSecurityGroupIngress', Parameters: { GroupId: groupId(0), IpPermissions: [world443] } },
      { beforeFrame: 8000, Action: 'RevokeSecurityGroupEgress', Parameters: { GroupId: groupId(2), IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] } },
      { beforeFrame: 15000, Action: 'ModifyNetworkInterfaceAttribute', Parameters: { NetworkInterfaceId: interfaceId(3), Groups: [groupId(1)] } },
      { beforeFrame: 22000, Action: 'AuthorizeSecurityGroupIngress', Parameters: { GroupId: groupId(0), IpPermissions: [world443] } },
      { beforeFrame: 99999, Action: 'AuthorizeSecurityGroupIngress', Parameters: { GroupId: groupId(1), IpPermissions: [world443] } },
    ];
    const one = await expectSameOnWorkers('bench', state, [capture], timeline.map((t) => JSON.stringify(t)).join('\n'));
    expect(one.summary.frames).toBe(30_000);
    expect(one.summary.timelineApplied).toBe(5);
    expect(one.summary.timelineUnreached).toBe(1);
    // the changes changed verdicts: the run is not all one reason
    expect(one.summary.byReason['ingress-no-rule']).toBeGreaterThan(0);
    expect(one.summary.byReason.tracked).toBeGreaterThan(0);
    // six replays of 30,000 frames with every output: ~17 s on a loaded 2-core machine
  }, 60_000);

  it.each(SCENARIOS.map((s) => s.name))('on the bundled scenario "%s"', async (name) => {
    const dir = join(PCAPS, name);
    const timeline = existsSync(join(dir, 'timeline.jsonl')) ? readFileSync(join(dir, 'timeline.jsonl'), 'utf8') : '';
    await expectSameOnWorkers(name, join(dir, 'state.json'), [join(dir, `${name}.pcap`)], timeline);
  });

  it('an ICMP error from a router is related to the flow it quotes, whichever worker judged the flow', async () => {
    const m = makeModel({ rules: 25, interfaces: 4 });
    const state = join(tmp, 'icmp-state.json');
    writeFileSync(state, JSON.stringify(stateDocument(m)));
    const frames: { data: Uint8Array; ms: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const sent = { src: '10.0.1.10', dst: `203.0.113.${i + 1}`, proto: 'udp' as const, sport: 30000 + i, dport: 53, payload: 'q' };
      frames.push({ data: buildFrame(sent), ms: 1000 + i });
    }
    for (let i = 0; i < 40; i++) {
      const sent = { src: '10.0.1.10', dst: `203.0.113.${i + 1}`, proto: 'udp' as const, sport: 30000 + i, dport: 53, payload: 'q' };
      frames.push({ data: buildFrame({ src: '198.51.100.1', dst: '10.0.1.10', proto: 'icmp', icmp: { type: 3, code: 1, quote: sent } }), ms: 2000 + i });
    }
    const capture = join(tmp, 'icmp.pcap');
    writeCapture(capture, frames);
    const one = await expectSameOnWorkers('icmp', state, [capture]);
    expect(one.summary.byReason.related).toBe(40);
  });

  it('a refused timeline call stops every worker at its frame, as it stops one thread', async () => {
    const dir = join(PCAPS, 'mary');
    const timeline = JSON.stringify({ beforeFrame: 5, Action: 'RevokeSecurityGroupIngress', Parameters: { GroupId: 'sg-0123456789abcdef0', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] } });
    const one = await expectSameOnWorkers('refused', join(dir, 'state.json'), [join(dir, 'mary.pcap')], timeline);
    expect(one.summary.failure?.frame).toBe(5);
    expect(one.summary.frames).toBe(4);
  });

  it('two captures count frames across both, and the summaries agree without outputs', async () => {
    const dir = join(PCAPS, 'conntrack');
    const captures = [join(dir, 'conntrack.pcap'), join(PCAPS, 'mary', 'mary.pcap')];
    const service = await serviceFromStateFiles([join(dir, 'state.json')]);
    const one = await replay(service, { captures });
    const two = await replayOnWorkers(await serviceFromStateFiles([join(dir, 'state.json')]), { captures }, 2);
    const { workers: threads, ...summary } = two;
    expect(summary).toEqual(one);
    expect(threads!.map((t) => t.judged).reduce((a, b) => a + b)).toBe(one.frames);
  });
});

describe('each worker says where its CPU went', () => {
  it('its start, its Dataplane build and its loop, all within its CPU time, and when it judged', async () => {
    const dir = join(PCAPS, 'conntrack');
    const captures = [join(dir, 'conntrack.pcap')];
    const { workers: threads } = await replayOnWorkers(await serviceFromStateFiles([join(dir, 'state.json')]), { captures }, 2);
    expect(threads).toHaveLength(2);
    for (const t of threads!) {
      // Linux: each thread's clock from /proc/thread-self/schedstat (-1 elsewhere)
      if (process.platform !== 'linux') continue;
      // a thread that loaded its modules and compiled rules used some CPU before its loop
      expect(t.startCpuMs + t.buildCpuMs).toBeGreaterThan(0);
      expect(t.buildCpuMs).toBeGreaterThanOrEqual(0);
      expect(t.loopCpuMs).toBeGreaterThanOrEqual(0);
      // the three are consecutive readings of one clock, and cpuMs the last
      expect(t.cpuMs).toBeGreaterThanOrEqual(t.startCpuMs + t.buildCpuMs + t.loopCpuMs);
      expect(t.doneMs).toBeGreaterThanOrEqual(t.readyMs);
    }
  });
});
