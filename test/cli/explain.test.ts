// `sgfw explain` on the bundled seed states: Mary's three tiers (seed 000, group references,
// IPv6) and the connection-tracking example (seed 001, tracked SSH, untracked HTTP, ICMP).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainCommand } from '../../src/cli/explain.js';
import { runCli } from '../../src/cli/run-cli.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { REASON_NAMES } from '../../src/dataplane/verdict.js';
import { buildFrame, linkTypeOf, type FrameSpec } from '../../src/packet/frame-builder.js';
import { captureIo } from './capture-io.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'pcaps');
const MARY = join(PCAPS, 'mary', 'state.json');
const CONNTRACK = join(PCAPS, 'conntrack', 'state.json');

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(['explain', ...argv], io, [explainCommand]);
  return { code, out: io.out(), err: io.err() };
}

async function json(...argv: string[]) {
  const r = await run(...argv, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

const WEB = '10.0.1.10';
const APP = '10.0.2.10';
const DB = '10.0.3.10';
const HOST = '10.0.0.20';
const STRANGER = '198.51.100.7';

describe('a packet allowed through a group reference names both sides and both rules', () => {
  it('web → app on 8080: the web server\'s egress and the app tier\'s rule that references WebServers', async () => {
    const e = await json('--state', MARY, '--src', WEB, '--dst', APP, '--proto', 'tcp', '--dport', '8080');
    expect(e).toMatchObject({ managed: true, verdict: 'allow', reason: 'rule' });
    expect(e.interfaces).toHaveLength(2);
    const [sender, receiver] = e.interfaces;
    expect(sender).toMatchObject({ interfaceId: 'eni-0f1e2d3c4b5a60011', direction: 'egress', role: 'sender', verdict: 'allow', tracked: true });
    expect(sender.rules).toEqual([expect.objectContaining({ groupId: 'sg-0f1e2d3c4b5a60001', groupName: 'WebServers', protocol: 'all traffic', peer: '0.0.0.0/0' })]);
    expect(receiver).toMatchObject({ interfaceId: 'eni-0f1e2d3c4b5a60021', direction: 'ingress', role: 'receiver', verdict: 'allow', tracked: true });
    expect(receiver.rules).toEqual([
      expect.objectContaining({ groupId: 'sg-0f1e2d3c4b5a60002', groupName: 'AppServers', protocol: 'tcp', ports: 'port 8080', peer: 'group sg-0f1e2d3c4b5a60001 (WebServers)' }),
    ]);
    expect(receiver.rules[0].ruleId).toMatch(/^sgr-/);
    expect(receiver.why).toMatch(/^tracked: no rule allowing it is open to all addresses/);
  });

  it('prints the same for people', async () => {
    const r = await run('--state', MARY, '--src', WEB, '--dst', APP, '--proto', 'tcp', '--dport', '8080');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verdict  allow \(rule\)$/m);
    expect(r.out).toMatch(/^eni-0f1e2d3c4b5a60021 10\.0\.2\.10: ingress of the receiver, groups sg-0f1e2d3c4b5a60002 \(AppServers\)$/m);
    expect(r.out).toMatch(/^ {2}allowed by sgr-\S+ of sg-0f1e2d3c4b5a60002 \(AppServers\): tcp port 8080 from group sg-0f1e2d3c4b5a60001 \(WebServers\)$/m);
  });
});

describe('a dropped packet says which groups have no rule for it', () => {
  it('web → database on 3306: only AppServers may reach the database', async () => {
    const e = await json('--state', MARY, '--src', WEB, '--dst', DB, '--proto', 'tcp', '--dport', '3306');
    expect(e).toMatchObject({ verdict: 'drop', reason: 'ingress-no-rule' });
    const receiver = e.interfaces[1];
    expect(receiver).toMatchObject({ interfaceId: 'eni-0f1e2d3c4b5a60031', verdict: 'drop', rules: [] });
    expect(receiver.why).toBe('no inbound rule of group sg-0f1e2d3c4b5a60003 (DBServers) allows tcp/3306 from 10.0.1.10');
  });

  it('SSH from a stranger: the SSH rule admits 203.0.113.1/32 only', async () => {
    const r = await run('--state', CONNTRACK, '--src', STRANGER, '--dst', HOST, '--proto', 'tcp', '--dport', '22');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verdict  drop \(ingress-no-rule\)$/m);
    expect(r.out).toContain('no inbound rule of group sg-0c1d2e3f405160001 (conntrack-example) allows tcp/22 from 198.51.100.7');
  });

  it('SSH from the allowed address is tracked, because its rule is not open to all addresses', async () => {
    const e = await json('--state', CONNTRACK, '--src', '203.0.113.1', '--dst', HOST, '--proto', 'tcp', '--dport', '22');
    expect(e.interfaces[0]).toMatchObject({ verdict: 'allow', tracked: true });
    expect(e.interfaces[0].rules[0]).toMatchObject({ ports: 'port 22', peer: '203.0.113.1/32' });
  });
});

describe('a packet the sender\'s egress drops never reaches the receiver\'s rules', () => {
  it('web with no outbound rules → app on 8080', async () => {
    const state = JSON.parse(readFileSync(MARY, 'utf8'));
    state.SecurityGroups.find((g: { GroupName: string }) => g.GroupName === 'WebServers').IpPermissionsEgress = [];
    const file = join(mkdtempSync(join(tmpdir(), 'sgfw-explain-')), 'state.json');
    writeFileSync(file, JSON.stringify(state));
    const e = await json('--state', file, '--src', WEB, '--dst', APP, '--proto', 'tcp', '--dport', '8080');
    expect(e).toMatchObject({ verdict: 'drop', reason: 'egress-no-rule' });
    expect(e.interfaces[0]).toMatchObject({ direction: 'egress', verdict: 'drop' });
    expect(e.interfaces[0].why).toBe('no outbound rule of group sg-0f1e2d3c4b5a60001 (WebServers) allows tcp/8080 to 10.0.2.10');
    expect(e.interfaces[1]).toMatchObject({ direction: 'ingress', judged: false, rules: [] });
  });
});

describe('HTTP open to the world with all outbound allowed is untracked (seed 001)', () => {
  it('says untracked and why', async () => {
    const e = await json('--state', CONNTRACK, '--src', STRANGER, '--dst', HOST, '--proto', 'tcp', '--dport', '80');
    expect(e).toMatchObject({ verdict: 'allow', reason: 'rule-untracked' });
    expect(e.interfaces[0]).toMatchObject({ direction: 'ingress', tracked: false, reason: 'rule-untracked' });
    expect(e.interfaces[0].rules[0]).toMatchObject({ ports: 'port 80', peer: '0.0.0.0/0' });
    expect(e.interfaces[0].why).toMatch(/^untracked: a rule allowing it is open to all addresses and the outbound rules allow all traffic/);
  });
});

describe('ICMP is always tracked', () => {
  it('an echo request by default, allowed by the ICMP rule', async () => {
    const e = await json('--state', CONNTRACK, '--src', STRANGER, '--dst', HOST, '--proto', 'icmp');
    expect(e.packet).toMatchObject({ icmpType: 8, icmpCode: 0 });
    expect(e.interfaces[0]).toMatchObject({ verdict: 'allow', tracked: true });
    expect(e.interfaces[0].rules[0]).toMatchObject({ protocol: 'icmp', ports: 'all types' });
    expect(e.interfaces[0].why).toMatch(/ICMP traffic is always tracked/);
  });

  it('a protocol with no rule (GRE, 47) is dropped', async () => {
    const e = await json('--state', CONNTRACK, '--src', STRANGER, '--dst', HOST, '--proto', '47');
    expect(e.verdict).toBe('drop');
    expect(e.interfaces[0].why).toContain('allows protocol 47 from 198.51.100.7');
  });
});

describe('IPv6 packets are judged by the IPv6 rules', () => {
  it('HTTPS to the web server\'s IPv6 address is allowed by the ::/0 rule', async () => {
    const e = await json('--state', MARY, '--src', '2001:db8:9::1', '--dst', '2001:db8:1::10', '--proto', 'tcp', '--dport', '443');
    expect(e).toMatchObject({ verdict: 'allow', packet: { family: 6 } });
    expect(e.interfaces[0]).toMatchObject({ interfaceId: 'eni-0f1e2d3c4b5a60011', tracked: false });
    expect(e.interfaces[0].rules[0]).toMatchObject({ peer: '::/0', ports: 'port 443' });
  });

  it('SSH over IPv6 to the web server is dropped', async () => {
    const e = await json('--state', MARY, '--src', '2001:db8:9::1', '--dst', '2001:db8:1::10', '--proto', 'tcp', '--dport', '22');
    expect(e.verdict).toBe('drop');
  });
});

describe('a packet between unmanaged addresses is not sgfw\'s to judge', () => {
  it('says so', async () => {
    const r = await run('--state', MARY, '--src', '192.0.2.1', '--dst', '192.0.2.2', '--proto', 'udp', '--dport', '53');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verdict  allow \(unmanaged\): neither 192\.0\.2\.1 nor 192\.0\.2\.2 is an address of a managed interface/m);
    const e = await json('--state', MARY, '--src', '192.0.2.1', '--dst', '192.0.2.2', '--proto', 'udp', '--dport', '53');
    expect(e).toMatchObject({ managed: false, interfaces: [] });
  });
});

describe('mistakes on the command line are usage errors (exit 2)', () => {
  const cases: [string, string[], RegExp][] = [
    ['a bad address', ['--src', '10.0.1', '--dst', APP, '--proto', 'tcp', '--dport', '80'], /--src expects an IPv4 or IPv6 address, got '10\.0\.1'/],
    ['mixed families', ['--src', '2001:db8::1', '--dst', APP, '--proto', 'tcp', '--dport', '80'], /is IPv6 but --dst 10\.0\.2\.10 is IPv4/],
    ['tcp without a port', ['--src', WEB, '--dst', APP, '--proto', 'tcp'], /--proto tcp needs --dport/],
    ['udp without a port', ['--src', WEB, '--dst', APP, '--proto', 'udp', '--sport', '5'], /--proto udp needs --dport/],
    ['a port out of range', ['--src', WEB, '--dst', APP, '--proto', 'tcp', '--dport', '70000'], /--dport expects a port 0-65535/],
    ['an unknown protocol', ['--src', WEB, '--dst', APP, '--proto', 'sctp'], /--proto expects tcp, udp, icmp, icmpv6 or a number/],
    ['icmp over IPv6', ['--src', '2001:db8::1', '--dst', '2001:db8::2', '--proto', 'icmp'], /use --proto icmpv6/],
    ['ports on icmp', ['--src', WEB, '--dst', APP, '--proto', 'icmp', '--dport', '1'], /--dport applies to tcp and udp only/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const r = await run('--state', MARY, ...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    });
  }
});

describe('explain says "untracked" exactly when the dataplane judges the flow untracked (seed 001)', () => {
  // A prefix list holding 0.0.0.0/0 is "all traffic" as a CIDR 0.0.0.0/0 is: the dataplane
  // compiles it open to the world. The prefix-list state allows SSH from the list and all traffic
  // out to 0.0.0.0/0 (all ports, the other way).
  const PREFIX_LIST = join(PCAPS, 'prefix-list', 'state.json');
  const HOST4 = '10.0.4.10';
  const CLIENT = '203.0.113.99';

  function worldListState(): string {
    const state = JSON.parse(readFileSync(PREFIX_LIST, 'utf8'));
    state.PrefixLists[0].Entries.push({ Cidr: '0.0.0.0/0', Description: 'everyone' });
    const file = join(mkdtempSync(join(tmpdir(), 'sgfw-explain-')), 'state.json');
    writeFileSync(file, JSON.stringify(state));
    return file;
  }

  /** The reason a fresh Dataplane over `stateFile` gives the packet, judged directly. */
  async function dataplaneReason(stateFile: string, spec: FrameSpec): Promise<string> {
    const dp = new Dataplane(await serviceFromStateFiles([stateFile]), { conntrackCapacity: 64 });
    const frame = buildFrame(spec);
    return REASON_NAMES[dp.judge(linkTypeOf('ethernet'), frame, 0, frame.length, 1000)];
  }

  it('a request allowed by a prefix list holding 0.0.0.0/0, with all traffic allowed back to 0.0.0.0/0', async () => {
    const file = worldListState();
    const judged = await dataplaneReason(file, { src: CLIENT, dst: HOST4, proto: 6, sport: 49152, dport: 22, flags: 'S' });
    expect(judged).toBe('rule-untracked');
    const e = await json('--state', file, '--src', CLIENT, '--dst', HOST4, '--proto', 'tcp', '--dport', '22');
    expect(e).toMatchObject({ verdict: 'allow', reason: judged });
    expect(e.interfaces[0]).toMatchObject({ direction: 'ingress', reason: judged, tracked: false });
    expect(e.interfaces[0].rules[0]).toMatchObject({ ports: 'port 22', peer: 'prefix list pl-0e1e2e3e4e5e60001 (office-networks)' });
    expect(e.interfaces[0].why).toMatch(/^untracked: a rule allowing it is open to all addresses and the outbound rules allow all traffic/);
  });

  it('its response, sent by the managed interface: allowed out by the all-traffic rule, untracked because of the list', async () => {
    const file = worldListState();
    const judged = await dataplaneReason(file, { src: HOST4, dst: CLIENT, proto: 6, sport: 22, dport: 49152, flags: 'S' });
    expect(judged).toBe('rule-untracked');
    const e = await json('--state', file, '--src', HOST4, '--sport', '22', '--dst', CLIENT, '--proto', 'tcp', '--dport', '49152');
    expect(e).toMatchObject({ verdict: 'allow', reason: judged });
    expect(e.interfaces[0]).toMatchObject({ direction: 'egress', reason: judged, tracked: false });
    expect(e.interfaces[0].why).toMatch(/^untracked: these rules allow all traffic to all addresses and an inbound rule open to all addresses matches its responses/);
  });

  it('without the 0.0.0.0/0 entry the same request is tracked, as the dataplane tracks it', async () => {
    const judged = await dataplaneReason(PREFIX_LIST, { src: '198.51.100.7', dst: HOST4, proto: 6, sport: 49152, dport: 22, flags: 'S' });
    expect(judged).toBe('rule');
    const e = await json('--state', PREFIX_LIST, '--src', '198.51.100.7', '--dst', HOST4, '--proto', 'tcp', '--dport', '22');
    expect(e.interfaces[0]).toMatchObject({ reason: judged, tracked: true });
    expect(e.interfaces[0].why).toMatch(/^tracked: no rule allowing it is open to all addresses/);
  });

  it('an ICMP echo reply sent by a managed interface is tracked (it opens no flow, yet ICMP is always tracked)', async () => {
    const judged = await dataplaneReason(CONNTRACK, { src: HOST, dst: STRANGER, proto: 1, icmp: { type: 0, code: 0, id: 1, seq: 1 } });
    expect(judged).toBe('rule');
    const e = await json('--state', CONNTRACK, '--src', HOST, '--dst', STRANGER, '--proto', 'icmp', '--icmp-type', '0');
    expect(e.interfaces[0]).toMatchObject({ direction: 'egress', reason: judged, tracked: true });
    expect(e.interfaces[0].why).toMatch(/^tracked: ICMP traffic is always tracked/);
  });
});
