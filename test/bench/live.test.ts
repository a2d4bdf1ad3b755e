// bench/live.mjs: the rules every filter enforces are the same rules (sgfw's state document, the
// nftables ruleset, the iptables ruleset), the kernel takes both rulesets, and a smallest run
// (root: namespaces, AF_PACKET) measures through sgfw and its ceiling and leaves no namespace
// behind. No timing assertions: these machines are shared and noisy.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const LIVE = join(ROOT, 'bench', 'live.mjs');
const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);

interface Rule {
  egress: boolean;
  proto: string;
  from?: number;
  to?: number;
  cidr: string;
}
interface Permission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges: { CidrIp: string }[];
}
interface LiveModule {
  makeRules(count?: number, seed?: number, clients?: number): Rule[];
  stateDocument(rules: Rule[]): {
    SecurityGroups: { GroupId: string; IpPermissions: Permission[]; IpPermissionsEgress: Permission[] }[];
    NetworkInterfaces: { PrivateIpAddress: string; Groups: { GroupId: string }[] }[];
  };
  nftRuleset(rules: Rule[]): string;
  iptablesRuleset(rules: Rule[]): string;
  parseRings(text: string | undefined): { count: number; size: number; timeoutMs?: number; label: string }[];
  parseHostVariant(text: string | undefined): { label: string; args: string[] };
  parseInlineVariant(text: string | undefined): { label: string; args: string[] };
  clientAddress(k: number): string;
  clientPort(k: number): number;
}

let live: LiveModule;
beforeAll(async () => {
  const path: string = LIVE;
  live = (await import(path)) as LiveModule;
});

describe('the live benchmark rules', () => {
  it('are 1,000 rules with the iperf3 flows allowed only by the last two', () => {
    const rules = live.makeRules();
    expect(rules).toHaveLength(1000);
    expect(rules.slice(-2)).toEqual([
      { egress: false, proto: 'tcp', from: 5201, to: 5201, cidr: '10.77.1.2/32' },
      { egress: false, proto: 'udp', from: 5201, to: 5201, cidr: '10.77.1.2/32' },
    ]);
    // Every other ingress TCP/UDP rule is from 10.100–10.199: none of them covers the outside host.
    for (const r of rules.slice(2, -2)) expect(r.cidr).toMatch(/^10\.1\d\d\./);
    expect(live.makeRules()).toEqual(rules); // seeded: the same every run
  });

  it('become one state document: the inside host in 5 groups sharing the rules out', () => {
    const rules = live.makeRules();
    const doc = live.stateDocument(rules);
    expect(doc.SecurityGroups).toHaveLength(5);
    expect(doc.NetworkInterfaces[0]!.PrivateIpAddress).toBe('10.77.2.2');
    expect(doc.NetworkInterfaces[0]!.Groups.map((g) => g.GroupId)).toEqual(doc.SecurityGroups.map((g) => g.GroupId));
    const perms = doc.SecurityGroups.flatMap((g) => [...g.IpPermissions, ...g.IpPermissionsEgress]);
    expect(perms).toHaveLength(rules.length);
    expect(perms.filter((p) => p.IpProtocol === 'tcp' && p.FromPort === 5201 && p.IpRanges[0]!.CidrIp === '10.77.1.2/32')).toHaveLength(1);
  });

  it('become an nftables forward chain and an iptables INPUT chain: conntrack first, one rule each, then drop', () => {
    const rules = live.makeRules();
    const nft = live.nftRuleset(rules);
    expect(nft).toContain('policy drop;');
    const chain = nft.split('\n').map((l) => l.trim());
    expect(chain.slice(2, 4)).toEqual(['type filter hook forward priority filter; policy drop;', 'ct state established,related accept']);
    expect(nft.match(/^ {4}ip saddr .* accept$/gm)).toHaveLength(rules.length);
    expect(nft).toContain('ip saddr 10.77.1.2/32 ip daddr 10.77.2.2 udp dport 5201 accept');
    const ipt = live.iptablesRuleset(rules);
    const appended = ipt.split('\n').filter((l) => l.startsWith('-A INPUT'));
    expect(appended[0]).toBe('-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
    expect(appended.at(-1)).toBe('-A INPUT -j DROP');
    expect(appended).toHaveLength(2 + rules.length - 1 + 1); // conntrack, lo, every ingress rule, DROP
  });

  it('with --clients K: still 1,000 rules, the last two allowing the K client addresses to their K ports', () => {
    const rules = live.makeRules(1000, 5, 4);
    expect(rules).toHaveLength(1000);
    expect(rules.slice(0, -2)).toEqual(live.makeRules().slice(0, -2));
    expect(rules.slice(-2)).toEqual([
      { egress: false, proto: 'tcp', from: 5201, to: 5204, cidr: '10.77.1.0/26' },
      { egress: false, proto: 'udp', from: 5201, to: 5204, cidr: '10.77.1.0/26' },
    ]);
    expect([0, 3].map((k) => `${live.clientAddress(k)}:${live.clientPort(k)}`)).toEqual(['10.77.1.2:5201', '10.77.1.5:5204']);
    // the kernel peers get the same two rules
    expect(live.iptablesRuleset(rules)).toContain('-A INPUT -s 10.77.1.0/26 -d 10.77.2.2/32 -p udp -m udp --dport 5201:5204 -j ACCEPT');
    expect(live.nftRuleset(rules)).toContain('ip saddr 10.77.1.0/26 ip daddr 10.77.2.2 tcp dport 5201-5204 accept');
    expect(() => live.makeRules(1000, 5, 61)).toThrow(/--clients: 61 is not 1–60/);
  });

  it('parses --host-variant LABEL=FLAGS', () => {
    expect(live.parseHostVariant('maxlen 8192=--queue-maxlen 8192  --workers 1')).toEqual({ label: 'maxlen 8192', args: ['--queue-maxlen', '8192', '--workers', '1'] });
    expect(() => live.parseHostVariant('--fail-open')).toThrow(/--host-variant --fail-open: not LABEL=FLAGS/);
  });

  it('parses --inline-variant LABEL=FLAGS', () => {
    expect(live.parseInlineVariant('rt=--workers 2  --realtime-workers')).toEqual({ label: 'rt', args: ['--workers', '2', '--realtime-workers'] });
    expect(() => live.parseInlineVariant('--realtime-workers')).toThrow(/--inline-variant --realtime-workers: not LABEL=FLAGS/);
  });

  it('parses --rings and refuses what is not BLOCKSxBYTES[/MS]', () => {
    expect(live.parseRings('64x262144,16x1048576/10')).toEqual([
      { count: 64, size: 262144, timeoutMs: undefined, label: '64 × 256 KiB' },
      { count: 16, size: 1048576, timeoutMs: 10, label: '16 × 1 MiB, 10 ms' },
    ]);
    expect(live.parseRings(undefined)).toEqual([]);
    expect(() => live.parseRings('64*4096')).toThrow(/--rings: '64\*4096'/);
  });
});

describe.runIf(enabled)('the live benchmark in namespaces', () => {
  const NS = `sgbl-t-${process.pid % 100000}`;
  const delNs = (): void => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // not there
    }
  };
  afterAll(delNs);

  it('loads both rulesets into a kernel', () => {
    delNs();
    execFileSync('ip', ['netns', 'add', NS], { timeout: 10_000 });
    const rules = live.makeRules();
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], { input: live.nftRuleset(rules), timeout: 30_000 });
    const listed = execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'chain', 'inet', 'sgbl', 'forward'], { encoding: 'utf8', timeout: 30_000 });
    expect(listed.match(/ accept$/gm)).toHaveLength(rules.length + 1);
    execFileSync('ip', ['netns', 'exec', NS, 'iptables-restore', '-w', '5'], { input: live.iptablesRuleset(rules), timeout: 30_000 });
    const saved = execFileSync('ip', ['netns', 'exec', NS, 'iptables-save', '-t', 'filter'], { encoding: 'utf8', timeout: 30_000 });
    expect(saved.split('\n').filter((l) => l.startsWith('-A INPUT'))).toHaveLength(rules.length + 2);
  }, 60_000);

  it('measures sgfw inline (afpacket), an --inline-variant of it and its ceiling in a smallest run, then deletes its namespaces', () => {
    const r = spawnSync(process.execPath, [LIVE, '--smoke', '--json', '--inline-variant', 'one worker=--workers 1 --nice=1', '--only', 'afpacket'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      rows: {
        part: string; filter: string; kind: string; gbps: number | null; framesPerSec: number | null; runs: number;
        machineBusyPct: number; pathCpuSecPerGB: number | null; othersCpuPct: number; pingAvgMs: number | null;
      }[];
      notes: string[];
      settings: { seconds: number; rules: number };
    };
    expect(out.settings.rules).toBe(1000);
    expect(out.notes.filter((n) => n.includes('FAILED') || n.includes('left out'))).toEqual([]);
    const labels = [...new Set(out.rows.map((x) => x.filter))].sort();
    expect(labels).toEqual(['afpacket bridge (ceiling)', 'sgfw inline (afpacket)', 'sgfw inline (afpacket), one worker']);
    for (const row of out.rows) {
      expect(row.part).toBe('inline');
      expect(row.runs).toBe(1);
      if (row.kind === 'tcp') expect(row.gbps).toBeGreaterThan(0);
      else expect(row.framesPerSec).toBeGreaterThan(0);
      // the whole path's CPU per GB through the filter (iperf3s, the filter, softirq threads) was read
      // while the test ran, and so was the machine's other load
      expect(row.pathCpuSecPerGB).toBeGreaterThan(0);
      expect(row.othersCpuPct).toBeGreaterThanOrEqual(0);
      expect(row.othersCpuPct).toBeLessThanOrEqual(100);
    }
    // a ping crossed sgfw during its TCP test (UDP's flood may leave none answered)
    const sgfwTcp = out.rows.find((x) => x.filter === 'sgfw inline (afpacket)' && x.kind === 'tcp');
    expect(sgfwTcp?.pingAvgMs).toBeGreaterThan(0);
    // sgfw forwarded everything it saw (the iperf3 flows are allowed) and said so when stopped.
    // (each test on a filter started afresh: one stop line per kind)
    for (const kind of ['tcp', 'udp']) {
      for (const row of ['sgfw inline (afpacket)', 'sgfw inline (afpacket), one worker']) {
        const sgfwNote = out.notes.find((n) => n.startsWith(`inline, ${row}, ${kind}, session 1: `));
        expect(sgfwNote).toMatch(/forwarded (\d+) dropped 0/);
      }
    }
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(namespaces).not.toMatch(new RegExp(`^sgbl-[a-z]-${r.pid! % 100000}\\b`, 'm'));
  }, 150_000);

  it('measures --capture nfqueue rows of another --build and of an --inline-variant, and says each queue\'s batches and overruns', () => {
    // this very build as the "other" one: its rows are labelled apart and run the same way
    const bin = join(ROOT, 'bin', 'sgfw.js');
    const rowsWanted = ['sgfw inline (nfqueue), 2 workers', 'sgfw inline (nfqueue), copy, 2 workers', 'sgfw inline (nfqueue), niced'];
    const r = spawnSync(process.execPath, [
      LIVE, '--smoke', '--json', '--workers', '2', '--build', `copy=${bin}`, '--inline-variant', 'niced=--workers 2 --nice=1',
      '--only', 'inline (nfqueue), 2 workers|inline (nfqueue), copy, 2 workers|inline (nfqueue), niced',
    ], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { rows: { filter: string; kind: string }[]; notes: string[] };
    expect(out.notes.filter((n) => n.includes('FAILED') || n.includes('left out'))).toEqual([]);
    expect([...new Set(out.rows.map((x) => x.filter))].sort()).toEqual(rowsWanted);
    for (const kind of ['tcp', 'udp']) {
      for (const row of rowsWanted) {
        const note = out.notes.find((n) => n.startsWith(`inline, ${row}, ${kind}, session 1: `));
        const m = note?.match(/frames (\d+) forwarded (\d+) dropped 0; queue: (\d+) packets in (\d+) batches \(([\d.]+) each\), overruns (\d+)/);
        expect(m, note).toBeTruthy();
        // every packet queued was judged and forwarded, in at least one batch
        expect(Number(m![1])).toBeGreaterThan(0);
        expect(m![2]).toBe(m![1]);
        expect(m![3]).toBe(m![1]);
        expect(Number(m![4])).toBeGreaterThan(0);
        expect(Number(m![5])).toBeCloseTo(Number(m![3]) / Number(m![4]), 1);
      }
    }
  }, 150_000);

  it('measures host mode on 2 workers with 2 clients, counts every packet judged, and leaves out a fail-open sgfw; --host-offloads adds rows on offloaded veths', () => {
    const r = spawnSync(process.execPath, [LIVE, '--smoke', '--json', '--clients', '2', '--workers', '2', '--host-offloads', '--host-variant', 'fail open=--fail-open', '--only', 'NFQUEUE), 2 workers|fail open'], {
      encoding: 'utf8', timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      rows: { part: string; filter: string; kind: string; judged: number | null; passed: number | null; dropped: number | null; offered: number | null; workerShares: number[] | null }[];
      notes: string[];
      settings: { clients: number };
    };
    expect(out.settings.clients).toBe(2);
    // fail open: its queue rule carries --queue-bypass, so it is refused before it is measured
    expect(out.notes.filter((n) => n.includes('fail open: left out'))).toEqual([expect.stringMatching(/--queue-bypass: packets could pass unjudged/)]);
    expect(out.notes.filter((n) => n.includes('FAILED'))).toEqual([]);
    expect(out.rows.map((x) => `${x.filter}/${x.kind}`).sort()).toEqual([
      'sgfw host (NFQUEUE), 2 workers, offloads on/tcp', 'sgfw host (NFQUEUE), 2 workers, offloads on/udp',
      'sgfw host (NFQUEUE), 2 workers/tcp', 'sgfw host (NFQUEUE), 2 workers/udp',
    ]);
    // TCP moves as GSO super-packets only on the offloaded veths (the stop line's queue counters)
    const gso = (filter: string): number => {
      const note = out.notes.find((n) => n.startsWith(`host, ${filter}, tcp,`));
      return Number(/"gsoPackets":(\d+)/.exec(note ?? '')?.[1] ?? Number.NaN);
    };
    expect(gso('sgfw host (NFQUEUE), 2 workers, offloads on')).toBeGreaterThan(0);
    expect(gso('sgfw host (NFQUEUE), 2 workers')).toBe(0);
    for (const row of out.rows) {
      // sgfw's own count of a run: everything judged was allowed (the iperf3 flows are), and the
      // packets its queue rules matched are the ones it judged plus any the kernel dropped, give or
      // take the few that reach the queue between the bench's read of its counters and sgfw's stop.
      expect(row.judged).toBeGreaterThan(0);
      expect(row.passed).toBe(row.judged);
      expect(row.dropped).toBe(0);
      expect(row.offered).toBeGreaterThanOrEqual((row.judged ?? 0) - 50);
      expect(row.workerShares).toHaveLength(2);
    }
  }, 150_000);
});
