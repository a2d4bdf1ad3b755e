// Mary's three tiers (seed 000) on a real kernel: web, app and database hosts, each in its own
// network namespace running its own `sgfw run --mode host` over Mary's groups, plus an "outside"
// host, all on one Linux bridge that lives in a namespace of its own (see mary-lan.ts: a bridge
// rather than routed veths, so no router sits between the tiers to filter or translate). Every
// host gets the same state with all three tiers' interfaces, so a rule naming a group admits that
// group's members by their private addresses. Echo servers listen on every scanned port of every
// tier, so a port nmap finds "filtered" was dropped by sgfw, not merely unused; the expected open
// ports are worked out from the groups' JSON by support/sg-expect.ts, not written down here.
// The database host's sgfw also serves the EC2 API (--listen) on its namespace's loopback, which
// host mode never queues, and Mary changes its rules live with the real `aws` CLI run there.
// Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { createCredentials } from '../../support/serve-process.js';
import { apiEndpoint, awsEc2, type AwsEc2 } from '../../support/aws-cli.js';
import { stopProcess, tcpConnect } from '../host-mode/netns.js';
import { destroyLan, sourceAddressFor } from '../support/lan.js';
import { nmapTcp, openPorts } from '../support/nmap.js';
import { allowedTcpPorts, tcpPortsNamed } from '../support/sg-expect.js';
import { startHostSgfw, type HostSgfw } from '../support/sgfw-host.js';
import { openTcpSession, tcpEchoServers, type TcpSession } from '../support/traffic.js';
import { createMaryLan, groupId, MARY_STATE_FILE, OUTSIDE_V4, TIERS, type MaryLan, type Tier } from './mary-lan.js';

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const tag = `s${process.pid % 100000}`;
const QUEUE = 11;
/** ports no rule of Mary's names, opened on the database host through the API */
const TRACKED_PORT = 5000;
const UNTRACKED_PORT = 5001;

let dir = '';
let dbVerdicts = '';
let mary: MaryLan | null = null;
const sgfw: Partial<Record<Tier, HostSgfw>> = {};
const children: ChildProcess[] = [];
let ports: number[] = [];

/** Scans `target` from `from` and checks nmap's view against the groups: open exactly where allowed, filtered elsewhere. */
async function expectScan(from: string, target: string): Promise<number[]> {
  const m = mary!;
  const src = sourceAddressFor(m.lan.ns[from]!, target);
  const expected = allowedTcpPorts(m.state, src, target, ports);
  const states = await nmapTcp(m.lan.ns[from]!, target, ports, { hostTimeoutS: 20 });
  const open = openPorts(states);
  const label = `nmap ${target} from ${from} (${src})`;
  expect(open, label).toEqual(expected);
  for (const p of ports) if (!expected.includes(p)) expect(states.get(p), `${label}: port ${p}`).toBe('filtered');
  return open;
}

describe.runIf(enabled)("Mary's three tiers, each host behind its own sgfw", () => {
  let aws: AwsEc2 | null = null;

  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'sgfw-mary-tiers-'));
    dbVerdicts = join(dir, 'db-verdicts.jsonl');
    mary = createMaryLan('sgmt', tag);
    // The ports her rules name, and two no rule names: SSH, and the one next to the app port.
    ports = [...new Set([...tcpPortsNamed(mary.state), 22, 8081])].sort((a, b) => a - b);
    for (const tier of TIERS) children.push(await tcpEchoServers(mary.lan.ns[tier]!, tier === 'db' ? [...ports, TRACKED_PORT, UNTRACKED_PORT] : ports));
    const stateDir = join(dir, 'db-state');
    const credentials = createCredentials(stateDir);
    const started = await Promise.allSettled(
      TIERS.map(async (tier) => {
        const extra = tier === 'db' ? ['--listen', '127.0.0.1:0', '--state-dir', stateDir, '--verdicts', dbVerdicts] : [];
        sgfw[tier] = await startHostSgfw(mary!.lan.ns[tier]!, { stateFiles: [MARY_STATE_FILE], queue: QUEUE, extra });
      }),
    );
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    aws = awsEc2(apiEndpoint(sgfw.db!.stderr()), credentials, { netns: mary.lan.ns.db! });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(sgfw).map((s) => s.stop()));
    await Promise.all(children.map((c) => stopProcess(c, 'SIGKILL')));
    if (mary) destroyLan(mary.lan);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  describe('nmap sees exactly the ports her groups allow', () => {
    it('from outside: the web tier answers HTTP and HTTPS on IPv4 and IPv6, app and database nothing', async () => {
      const m = mary!;
      const targets = TIERS.flatMap((t) => m.addresses[t]);
      const open = await Promise.all(targets.map((t) => expectScan('outside', t)));
      const byTarget = new Map(targets.map((t, i) => [t, open[i]!]));
      // What the groups say, spelled out as well, so a wrong reading of the JSON fails too.
      expect(m.addresses.web.some((a) => a.includes(':'))).toBe(true);
      expect(m.addresses.app.length).toBeGreaterThan(1); // the app server's secondary address is scanned too
      for (const a of m.addresses.web) expect(byTarget.get(a), a).toEqual([80, 443]);
      for (const a of [...m.addresses.app, ...m.addresses.db]) expect(byTarget.get(a), a).toEqual([]);
    }, 60_000);

    it('from each tier: web reaches the app port, app the database port, every tier the web ports', async () => {
      const m = mary!;
      const scans: [Tier, string][] = [];
      for (const from of TIERS) {
        for (const to of TIERS) {
          if (to === from) continue;
          for (const a of m.addresses[to]) if (!a.includes(':')) scans.push([from, a]);
        }
      }
      const results = await Promise.all(scans.map(([from, a]) => expectScan(from, a)));
      const open = (from: Tier, to: Tier): number[] => results[scans.findIndex(([f, a]) => f === from && a === m.addresses[to][0])]!;
      expect(open('web', 'app')).toEqual([8080]);
      expect(open('app', 'db')).toEqual([3306]);
      expect(open('web', 'db')).toEqual([]);
      expect(open('db', 'app')).toEqual([]);
      expect(open('app', 'web')).toEqual([80, 443]);
      expect(open('db', 'web')).toEqual([80, 443]);
    }, 90_000);
  });

  // Seed 001: a tracked connection survives the removal of the rule that admitted it; an untracked
  // one (open to the world both ways) "is immediately interrupted".
  describe('rule changes on the database tier through the aws CLI, live', () => {
    const permission = (port: number, ranges: object): string =>
      JSON.stringify([{ IpProtocol: 'tcp', FromPort: port, ToPort: port, ...ranges }]);
    const narrow = permission(TRACKED_PORT, { IpRanges: [{ CidrIp: `${OUTSIDE_V4}/32`, Description: 'Mary admin box' }] });
    const world = permission(UNTRACKED_PORT, { IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    const sessions: TcpSession[] = [];
    let tracked: TcpSession | null = null;
    let dbGroup = '';

    beforeAll(() => {
      dbGroup = groupId(mary!.state, 'DBServers');
    });
    afterAll(async () => {
      await Promise.all(sessions.map((s) => s.close()));
    });

    async function ec2(action: string, ipPermissions: string): Promise<{ SecurityGroupRules?: { SecurityGroupRuleId: string }[] }> {
      const r = await aws!(action, '--group-id', dbGroup, '--ip-permissions', ipPermissions);
      expect(r.code, `${action} (exit ${r.code}): ${r.stderr.trim()}`).toBe(0);
      return r.json ?? {};
    }

    it('adding a rule opens a port for the next connection', async () => {
      const db = mary!.addresses.db[0]!;
      expect(await tcpConnect(mary!.lan.ns.outside!, db, TRACKED_PORT, '', 1000)).toBe('timeout');
      await ec2('authorize-security-group-ingress', narrow);
      expect(await tcpConnect(mary!.lan.ns.outside!, db, TRACKED_PORT)).toBe('connected');
      // the rule names the outside host only: the app tier still cannot use the port
      expect(await tcpConnect(mary!.lan.ns.app!, db, TRACKED_PORT, '', 1000)).toBe('timeout');
    });

    it('removing it refuses new connections, while an established tracked connection keeps exchanging data', async () => {
      const db = mary!.addresses.db[0]!;
      tracked = await openTcpSession(mary!.lan.ns.outside!, db, TRACKED_PORT);
      sessions.push(tracked);
      expect(await tracked.exchange('before-revoke')).toBe(true);
      await ec2('revoke-security-group-ingress', narrow);
      expect(await tcpConnect(mary!.lan.ns.outside!, db, TRACKED_PORT, '', 1000)).toBe('timeout');
      expect(await tracked.exchange('after-revoke')).toBe(true);
      expect(await tracked.exchange('still-there')).toBe(true);
    });

    it('an untracked connection (port open to 0.0.0.0/0 and ::/0, all outbound allowed) is cut when its rule is removed', async () => {
      const db = mary!.addresses.db[0]!;
      const added = await ec2('authorize-security-group-ingress', world);
      const ruleIds = (added.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId);
      expect(ruleIds, 'one rule for 0.0.0.0/0, one for ::/0').toHaveLength(2);
      const untracked = await openTcpSession(mary!.lan.ns.outside!, db, UNTRACKED_PORT);
      sessions.push(untracked);
      expect(await untracked.exchange('before-revoke')).toBe(true);
      // sgfw judged this connection untracked, by the world rule just added
      const lines = readFileSync(dbVerdicts, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason: string; rules: string[] });
      const untrackedLines = lines.filter((l) => l.reason === 'rule-untracked');
      expect(untrackedLines.some((l) => l.rules.some((r) => ruleIds.includes(r))), JSON.stringify(untrackedLines.slice(0, 3))).toBe(true);

      await ec2('revoke-security-group-ingress', world);
      expect(await untracked.exchange('after-revoke')).toBe(false);
      expect(await tcpConnect(mary!.lan.ns.outside!, db, UNTRACKED_PORT, '', 1000)).toBe('timeout');
      // at the same moment, the tracked connection of the test before still works
      expect(tracked, 'the tracked session of the previous test').not.toBeNull();
      expect(await tracked!.exchange('alongside')).toBe(true);
    });

    it('leaves every host\'s sgfw running', () => {
      for (const tier of TIERS) expect(sgfw[tier]!.child.exitCode, sgfw[tier]!.stderr()).toBeNull();
    });
  });
});
