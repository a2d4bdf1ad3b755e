// `sgfw run --source ec2`'s reading and translation, on answers `sgfw serve` itself gives the AWS SDK
// (an in-process API server over a SecurityGroupService): what EC2 describes becomes the same model
// the service holds, narrowed to this host's interfaces (by address, or by the sgfw:host-id tag: sgfw
// serve does not tag interfaces yet, so the tag is added to its captured answer here); polls apply only changes; an unreachable
// endpoint keeps the state in force, reports it stale once and recovers once; a restart boots from
// the saved listing, and with none fails closed; throttling backs off.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/api/credentials.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { SecurityGroupService } from '../../src/control/service.js';
import type { ModelView, RuleView } from '../../src/model/model-view.js';
import { AccountView, diffViews, MEMBER_LIST_PREFIX } from '../../src/source/account-view.js';
import { missingGroups, translateListing, type Ec2Listing } from '../../src/source/ec2-document.js';
import { Ec2ReadError } from '../../src/source/ec2-read-error.js';
import { Ec2Reader } from '../../src/source/ec2-reader.js';
import { accountService, loadListing, loadProblem } from '../../src/source/account-load.js';
import { Ec2Source, Ec2SourceError, type SourceLog } from '../../src/source/ec2-source.js';
import { readSourceState } from '../../src/source/source-state-file.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const credentials = { accessKeyId: 'AKIAQWERTYUIOPASDFGH', secretAccessKey: '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' };

let service: SecurityGroupService;
let server: ApiServer;
let dir: string;
const ids: Record<string, string> = {};

async function listen(): Promise<ApiServer> {
  return startApiServer({ service, credentials: staticCredentials([credentials]), listen: { host: '127.0.0.1', port: 0 } });
}

function client(url = server.url): EC2Client {
  return new EC2Client({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials });
}

function reader(url = server.url, pageSize?: number, filters: { Name: string; Values: string[] }[] = []): Ec2Reader {
  return new Ec2Reader({ client: client(url), filters, ...(pageSize === undefined ? {} : { pageSize }) });
}

/** A rule as enforcement sees it: what it matches, not its id. */
function ruleText(r: RuleView): string {
  return JSON.stringify([r.egress, r.protocol, r.fromPort, r.toPort, r.peer]);
}

function rulesOf(view: ModelView, groupId: string): string[] {
  const g = view.group(groupId)!;
  return [...g.ingress, ...g.egress].map(ruleText).sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sgfw-source-'));
  service = new SecurityGroupService({ accountId: '111122223333' });
  server = await listen();
  const s = service;
  ids.web = s.createSecurityGroup({ GroupName: 'web', Description: 'web tier', VpcId: VPC }).GroupId;
  ids.db = s.createSecurityGroup({ GroupName: 'db', Description: 'db tier', VpcId: VPC }).GroupId;
  ids.pl = s.createManagedPrefixList({ PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '198.51.100.0/24', Description: 'hq' }] }).PrefixList.PrefixListId;
  s.authorizeSecurityGroupIngress({ GroupId: ids.web, IpPermissions: [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: ids.pl }] },
    { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
  ] });
  s.authorizeSecurityGroupIngress({ GroupId: ids.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: ids.web }] }] });
  ids.a = s.registerNetworkInterface({ VpcId: VPC, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.10', Primary: true }, { PrivateIpAddress: '10.0.1.11' }], Groups: [ids.web] }).NetworkInterface.NetworkInterfaceId;
  ids.b = s.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: '10.0.1.20', Groups: [ids.db], ConnectionTrackingSpecification: { TcpEstablishedTimeout: 7200 } }).NetworkInterface.NetworkInterfaceId;
  ids.c = s.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: '10.0.1.30', Ipv6Addresses: [{ Ipv6Address: '2001:db8::30' }], Groups: [ids.web] }).NetworkInterface.NetworkInterfaceId;
});

/** What the endpoint answers, with the tags EC2 would add to b (host h2) and c (a bad value). */
async function listing(r: Ec2Reader, hostTags = true): Promise<Ec2Listing> {
  const got = await r.read();
  if (!hostTags) return got;
  const tagged: Record<string, string> = { [ids.b!]: 'h2', [ids.c!]: 'not a host id!' };
  return {
    ...got,
    networkInterfaces: got.networkInterfaces.map((n) => (tagged[n.NetworkInterfaceId!] === undefined ? n
      : { ...n, TagSet: [{ Key: 'env', Value: 'prod' }, { Key: 'sgfw:host-id', Value: tagged[n.NetworkInterfaceId!] }] })),
  };
}

/** A reader whose answers carry those tags. */
function taggingReader(url = server.url): Ec2Reader {
  const r = reader(url);
  const read = r.read.bind(r);
  r.read = async () => listing({ read } as Ec2Reader);
  return r;
}

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EC2 describe answers become the model sgfw serve holds', () => {
  it('groups, rules, interfaces and prefix lists come back as they were, the host tag as the HostId', async () => {
    const r = reader();
    const { document, warnings } = translateListing(await listing(r));
    const account = accountService(document, 'us-east-1');
    for (const g of service.groups()) {
      expect(account.group(g.groupId)?.groupName, g.groupId).toBe(g.groupName);
      expect(rulesOf(account, g.groupId), g.groupName).toEqual(rulesOf(service, g.groupId));
    }
    expect([...account.groups()].length).toBe([...service.groups()].length);
    const interfaces = new Map([...account.interfaces()].map((i) => [i.interfaceId, i]));
    for (const i of service.interfaces()) {
      const got = interfaces.get(i.interfaceId)!;
      expect({ v4: got.privateIpv4, v6: got.ipv6, groups: got.groupIds, ct: got.conntrack }, i.interfaceId)
        .toEqual({ v4: i.privateIpv4, v6: i.ipv6, groups: i.groupIds, ct: i.conntrack });
    }
    expect(document.NetworkInterfaces!.find((n) => n.NetworkInterfaceId === ids.b)!.HostId).toBe('h2');
    expect(account.prefixList(ids.pl!)!.entries).toEqual([{ cidr: '198.51.100.0/24', description: 'hq' }]);
    // A tag value that cannot be a host id is reported and left out, the interface kept.
    expect(warnings).toEqual([expect.stringContaining(`${ids.c}: tag sgfw:host-id 'not a host id!' is not a host id`)]);
    expect(document.NetworkInterfaces!.find((n) => n.NetworkInterfaceId === ids.c)!.HostId).toBeUndefined();
    r.close();
  });

  it('every page is read: a page size of 5 lists what one page does', async () => {
    for (let i = 0; i < 7; i++) service.createSecurityGroup({ GroupName: `extra-${i}`, Description: 'x', VpcId: VPC });
    const paged = reader(server.url, 5);
    const whole = reader();
    const [a, b] = [await paged.read(), await whole.read()];
    expect(a.securityGroups.map((g) => g.GroupId).sort()).toEqual(b.securityGroups.map((g) => g.GroupId).sort());
    expect(a.securityGroups.length).toBe([...service.groups()].length);
    // One page per 5 groups where one call listed them all (the other lists fit in a page).
    expect(a.securityGroups.length).toBeGreaterThan(5);
    expect(paged.calls).toBe(whole.calls + Math.ceil(a.securityGroups.length / 5) - 1);
    paged.close();
    whole.close();
  });

  it('filters go to the describe calls', async () => {
    const other = service.createSecurityGroup({ GroupName: 'elsewhere', Description: 'x', VpcId: 'vpc-0c1d2e3f405162738' }).GroupId;
    const r = reader(server.url, undefined, [{ Name: 'vpc-id', Values: [VPC] }]);
    try {
      const got = await r.read();
      expect(got.securityGroups.some((g) => g.GroupId === other)).toBe(false);
      expect(got.securityGroups.some((g) => g.GroupId === ids.db)).toBe(true);
      expect(got.networkInterfaces.map((n) => n.NetworkInterfaceId).sort()).toEqual([ids.a, ids.b, ids.c].sort());
    } finally {
      service.deleteSecurityGroup({ GroupId: other });
      r.close();
    }
  });

  it('an interface\'s group the filters left out is asked for by id; one gone meanwhile is dropped from it, with a warning', () => {
    const groups = [{ GroupId: 'sg-00000000000000001', GroupName: 'a', VpcId: VPC }];
    const interfaces = [{ NetworkInterfaceId: 'eni-00000000000000001', VpcId: VPC, PrivateIpAddress: '10.0.0.1', Groups: [{ GroupId: 'sg-00000000000000001' }, { GroupId: 'sg-00000000000000002' }] }];
    expect(missingGroups(groups, interfaces)).toEqual(['sg-00000000000000002']);
    const { document, warnings } = translateListing({ securityGroups: groups, networkInterfaces: interfaces, prefixLists: [], vpcs: [] });
    expect(document.NetworkInterfaces![0]!.Groups).toEqual([{ GroupId: 'sg-00000000000000001' }]);
    expect(warnings).toEqual(['eni-00000000000000001: group(s) sg-00000000000000002 not listed; enforced without them']);
  });

  it('reading never changes the account (only Describe and Get calls)', async () => {
    const before = service.version;
    const r = reader();
    await r.read();
    await r.read();
    r.close();
    expect(service.version).toBe(before);
    const text = readFileSync(join(import.meta.dirname, '../../src/source/ec2-reader.ts'), 'utf8');
    const imported = /import \{([^}]*)\} from '@aws-sdk\/client-ec2'/.exec(text)![1]!.split(',').map((s) => s.trim()).filter(Boolean);
    // Everything but types and the client is a call: paginators of Describe* and Get* only.
    const calls = imported.filter((n) => !n.startsWith('type ') && n !== 'EC2Client');
    expect(calls.length).toBe(5);
    for (const n of calls) expect(n, n).toMatch(/^paginate(Describe|Get)/);
  });
});

describe('shapes real EC2 answers have and sgfw serve does not', () => {
  it('cross-account and peered references, AWS-managed lists, interfaces without groups load and enforce', () => {
    const s3 = 'pl-63a5400a';
    const listing: Ec2Listing = {
      securityGroups: [{
        GroupId: 'sg-0123abcd', GroupName: 'app', Description: 'app', OwnerId: '123456789012', VpcId: VPC,
        SecurityGroupArn: 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123abcd',
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, UserIdGroupPairs: [{ GroupId: 'sg-0fedcba9', UserId: '999999999999', VpcId: 'vpc-0ffff', VpcPeeringConnectionId: 'pcx-01234567', PeeringStatus: 'active' }] },
          { IpProtocol: '58', FromPort: -1, ToPort: -1, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
        ],
        IpPermissionsEgress: [
          { IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: s3, Description: 'S3' }] },
        ],
        Tags: [{ Key: 'Name', Value: 'app' }],
      }],
      networkInterfaces: [
        {
          NetworkInterfaceId: 'eni-0a1b2c3d', VpcId: VPC, SubnetId: 'subnet-1', InterfaceType: 'interface', Status: 'in-use',
          PrivateIpAddress: '10.0.3.4', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.3.4', Primary: true, PrivateDnsName: 'ip-10-0-3-4.ec2.internal' }],
          Ipv6Addresses: [{ Ipv6Address: '2001:db8:0:1::4', IsPrimaryIpv6: true }],
          Groups: [{ GroupId: 'sg-0123abcd', GroupName: 'app' }], TagSet: [], RequesterManaged: false,
          ConnectionTrackingConfiguration: { TcpEstablishedTimeout: 3600, UdpStreamTimeout: 120, UdpTimeout: 30 },
        },
        // A NAT gateway's interface: no groups, requester-managed.
        { NetworkInterfaceId: 'eni-0b1b2c3d', VpcId: VPC, InterfaceType: 'natGateway', PrivateIpAddress: '10.0.0.9', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.9', Primary: true }], Groups: [], RequesterManaged: true },
      ],
      prefixLists: [{
        list: { PrefixListId: s3, AddressFamily: 'IPv4', State: 'create-complete', PrefixListName: 'com.amazonaws.us-east-1.s3', OwnerId: 'AWS', PrefixListArn: `arn:aws:ec2:us-east-1:aws:prefix-list/${s3}` },
        entries: [{ Cidr: '3.5.0.0/19' }, { Cidr: '52.216.0.0/15' }],
      }],
      vpcs: [{ VpcId: VPC, CidrBlock: '10.0.0.0/16', State: 'available', OwnerId: '123456789012', IsDefault: false }],
    };
    const account = accountService(translateListing(listing).document, 'us-east-1');
    const view = new AccountView(account, { hostId: 'h', addresses: new Set(['2001:db8:0:1::4']) }, 1);
    const [eni] = [...view.interfaces()];
    expect(eni).toMatchObject({ interfaceId: 'eni-0a1b2c3d', privateIpv4: ['10.0.3.4'], conntrack: { tcpEstablished: 3600, udpStream: 120, udp: 30 } });
    expect(view.prefixList(s3)!.entries.map((e) => e.cidr)).toEqual(['3.5.0.0/19', '52.216.0.0/15']);
    const app = view.group('sg-0123abcd')!;
    // The peered group's members are not in this account: its member list is empty (matches nothing).
    expect(app.ingress.find((r) => r.fromPort === 8443)!.peer).toEqual({ kind: 'prefix-list', prefixListId: `${MEMBER_LIST_PREFIX}sg-0fedcba9` });
    expect(view.prefixList(`${MEMBER_LIST_PREFIX}sg-0fedcba9`)).toBeUndefined();
    expect(app.ingress.find((r) => r.protocol === 58)!.peer).toEqual({ kind: 'cidr6', cidr: '2001:db8::/32' });
    expect(app.egress.map((r) => r.peer.kind).sort()).toEqual(['cidr4', 'prefix-list']);
    // Compiled and judged: 8443 from anywhere stays closed (no member), 443 out is open to S3's ranges only.
    const dataplane = new Dataplane(view);
    const judge = (src: string, dst: string, dport: number): boolean => {
      const frame = buildFrame({ src, dst, proto: 'tcp', sport: 40000 + dport, dport, flags: 'S' });
      return isAllowed(dataplane.judge(LinkType.ETHERNET, frame, 0, frame.length, 1));
    };
    expect(judge('10.9.9.9', '10.0.3.4', 8443)).toBe(false);
    expect(judge('10.0.3.4', '52.216.1.1', 443)).toBe(true);
    expect(judge('10.0.3.4', '52.200.1.1', 443)).toBe(false);
  });
});

describe('a record sgfw cannot load', () => {
  const good = { GroupId: 'sg-00000000000000001', GroupName: 'good', VpcId: VPC, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] };
  const bad = { GroupId: 'sg-00000000000000002', GroupName: 'bad', VpcId: VPC, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 70000, ToPort: 70001, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] };
  const eni = (groups: string[], address = '10.0.0.1') => ({ NetworkInterfaceId: 'eni-00000000000000001', VpcId: VPC, PrivateIpAddress: address, Groups: groups.map((GroupId) => ({ GroupId })) });

  it('a group is left out with a warning, and its interface keeps its other groups (less allowed, never more)', () => {
    const loaded = loadListing({ securityGroups: [bad, good], networkInterfaces: [eni([bad.GroupId, good.GroupId])], prefixLists: [], vpcs: [] }, 'us-east-1');
    expect(loaded.account.group(bad.GroupId)).toBeUndefined();
    expect([...loaded.account.interfaces()][0]!.groupIds).toEqual([good.GroupId]);
    expect(loaded.warnings).toEqual([
      'eni-00000000000000001: group(s) sg-00000000000000002 not listed; enforced without them',
      expect.stringMatching(/^group sg-00000000000000002 left out, its rules not enforced: SecurityGroups\[0\]\.IpPermissions\[0\]/),
    ]);
  });

  it('a prefix list is left out (rules naming it match nothing); an interface fails the whole poll', () => {
    const pl = { list: { PrefixListId: 'pl-00000000000000001', AddressFamily: 'IPv4', PrefixListName: 'x', Version: 1 }, entries: [{ Cidr: '10.0.0.300/8' }] };
    const loaded = loadListing({ securityGroups: [good], networkInterfaces: [], prefixLists: [pl], vpcs: [] }, 'us-east-1');
    expect(loaded.account.prefixList('pl-00000000000000001')).toBeUndefined();
    expect(loaded.warnings).toEqual([expect.stringMatching(/^prefix list pl-00000000000000001 left out, rules naming it match nothing: PrefixLists\[0\]/)]);
    let failure: unknown;
    try {
      loadListing({ securityGroups: [good], networkInterfaces: [eni([good.GroupId], '10.0.0.999')], prefixLists: [], vpcs: [] }, 'us-east-1');
    } catch (e) {
      failure = e;
    }
    expect(loadProblem(failure)).toMatch(/^NetworkInterfaces\[0\].*: InvalidParameterValue: Invalid private IPv4 address: 10\.0\.0\.999/);
  });
});

describe('the host enforces its own interfaces; group references become member lists', () => {
  it('by address and by tag, with every listed member of a referenced group', async () => {
    const r = reader();
    const account = accountService(translateListing(await listing(r)).document, 'us-east-1');
    r.close();
    const view = new AccountView(account, { hostId: 'h2', addresses: new Set(['10.0.1.11']) }, 1);
    expect([...view.interfaces()].map((i) => i.interfaceId).sort()).toEqual([ids.a, ids.b].sort());
    const [rule] = view.group(ids.db!)!.ingress;
    expect(rule!.peer).toEqual({ kind: 'prefix-list', prefixListId: MEMBER_LIST_PREFIX + ids.web });
    // c is not enforced here, but it is a member of web all the same.
    expect(view.prefixList(MEMBER_LIST_PREFIX + ids.web)!.entries.map((e) => e.cidr)).toEqual(['10.0.1.10/32', '10.0.1.11/32', '10.0.1.30/32', '2001:db8::30/128']);
    const none = new AccountView(account, { hostId: 'h9', addresses: new Set(['192.0.2.1']) }, 1);
    expect([...none.interfaces()]).toEqual([]);
  });

  it('a diff names what changed: a rule, a membership, an interface leaving the host', () => {
    const before = accountService({ SecurityGroups: [{ GroupId: 'sg-00000000000000001', GroupName: 'a', VpcId: VPC }, { GroupId: 'sg-00000000000000002', GroupName: 'b', VpcId: VPC, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: 'sg-00000000000000001' }] }] }],
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-00000000000000001', VpcId: VPC, PrivateIpAddress: '10.0.0.1', Groups: [{ GroupId: 'sg-00000000000000002' }] }] }, 'us-east-1');
    const after = accountService({ SecurityGroups: [{ GroupId: 'sg-00000000000000001', GroupName: 'a', VpcId: VPC }, { GroupId: 'sg-00000000000000002', GroupName: 'b', VpcId: VPC, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: 'sg-00000000000000001' }] }] }],
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-00000000000000001', VpcId: VPC, PrivateIpAddress: '10.0.0.1', Groups: [{ GroupId: 'sg-00000000000000002' }] },
        { NetworkInterfaceId: 'eni-00000000000000002', VpcId: VPC, PrivateIpAddress: '10.0.0.2', Groups: [{ GroupId: 'sg-00000000000000001' }] },
      ] }, 'us-east-1');
    const sel = { hostId: 'h', addresses: new Set(['10.0.0.1']) };
    const same = diffViews(new AccountView(before, sel, 1), new AccountView(before, sel, 2));
    expect(same.groupIds.length + same.interfaceIds.length + same.prefixListIds.length).toBe(0);
    // A new member of a referenced group elsewhere: only the member list changes.
    const joined = diffViews(new AccountView(before, sel, 1), new AccountView(after, sel, 2));
    expect(joined).toMatchObject({ groupIds: [], interfaceIds: [], prefixListIds: [MEMBER_LIST_PREFIX + 'sg-00000000000000001'] });
    const left = diffViews(new AccountView(after, sel, 1), new AccountView(after, { hostId: 'h', addresses: new Set() }, 2));
    expect(left.summary.interfacesRemoved).toEqual(['eni-00000000000000001']);
  });
});

describe('polling: changes only, staleness, the saved listing', () => {
  const sources: Ec2Source[] = [];
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop();
  });

  function source(url: string, stateFile: string, logs: { level: string; fields: Record<string, unknown>; message: string }[], read?: Ec2Reader): Ec2Source {
    const log: SourceLog = (level, fields, message) => logs.push({ level, fields, message });
    const s = new Ec2Source({
      reader: read ?? taggingReader(url), region: 'us-east-1', endpoint: url, filterText: [], hostId: 'h2', hostAddresses: () => new Set(['10.0.1.10']),
      stateFile, intervalMs: 3_600_000, jitterMs: 0, log,
    });
    sources.push(s);
    return s;
  }

  it('a rule added through the endpoint is in force after the next poll; a poll that finds nothing changes nothing', async () => {
    const logs: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const s = source(server.url, join(dir, 'a.json'), logs);
    expect(await s.start()).toEqual({ source: 'ec2' });
    const seen: unknown[] = [];
    s.onApplied((d) => seen.push(d));
    const v = s.version;
    expect(await s.pollNow()).toBeUndefined();
    expect(seen).toEqual([]);
    expect(s.version).toBe(v);
    service.authorizeSecurityGroupIngress({ GroupId: ids.web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
    expect(await s.pollNow()).toBeUndefined();
    expect(seen).toEqual([expect.objectContaining({ groupIds: [ids.web] })]);
    expect(s.version).toBe(v + 1);
    expect(s.group(ids.web!)!.ingress.some((r) => r.fromPort === 8080)).toBe(true);
    expect(logs.find((l) => l.fields.event === 'model-change')).toMatchObject({ fields: { groupsChanged: [ids.web] } });
    expect(s.stats).toMatchObject({ polls: 3, failures: 0, changes: 1 });
    service.revokeSecurityGroupIngress({ GroupId: ids.web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
  });

  it('endpoint gone: the state in force stays, stale is logged once; back: recovered once, and it catches up', async () => {
    const logs: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const own = await listen();
    const url = own.url;
    const s = source(url, join(dir, 'b.json'), logs);
    await s.start();
    const enforced = [...s.interfaces()].map((i) => i.interfaceId).sort();
    expect(enforced).toEqual([ids.a, ids.b].sort());
    await own.close();
    expect(await s.pollNow()).toMatch(/^EC2 endpoint unreachable: /);
    expect(await s.pollNow()).toBeDefined();
    expect(s.connected).toBe(false);
    expect(s.staleSeconds()).toBeGreaterThanOrEqual(0);
    expect([...s.interfaces()].map((i) => i.interfaceId).sort()).toEqual(enforced);
    expect(logs.filter((l) => l.fields.event === 'source-stale')).toHaveLength(1);
    expect(s.stats.failures).toBe(2);
    // Back on the same port, with a change made meanwhile: b is in web now (as well as db).
    const port = Number(new URL(url).port);
    service.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ids.b, Groups: [ids.db, ids.web] });
    const again = await startApiServer({ service, credentials: staticCredentials([credentials]), listen: { host: '127.0.0.1', port } });
    try {
      expect(await s.pollNow()).toBeUndefined();
      expect(s.connected).toBe(true);
      expect(s.staleSeconds()).toBe(0);
      expect([...s.interfaces()].find((i) => i.interfaceId === ids.b)!.groupIds).toEqual([ids.db, ids.web]);
      expect(s.prefixList(MEMBER_LIST_PREFIX + ids.web)!.entries.map((e) => e.cidr)).toContain('10.0.1.20/32');
      expect(logs.filter((l) => l.fields.event === 'source-recovered')).toHaveLength(1);
    } finally {
      service.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ids.b, Groups: [ids.db] });
      await again.close();
    }
  });

  it('a restart with the endpoint down starts from the saved listing; with none it refuses to start', async () => {
    const file = join(dir, 'c.json');
    const first = source(server.url, file, []);
    await first.start();
    await first.stop();
    const saved = await readSourceState(file, { region: 'us-east-1', filters: [] });
    expect(saved!.document.NetworkInterfaces!.length).toBe([...service.interfaces()].length);

    const closed = await listen();
    const deadUrl = closed.url;
    await closed.close();
    const logs: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const booted = source(deadUrl, file, logs);
    expect(await booted.start()).toEqual({ source: 'file' });
    expect([...booted.interfaces()].map((i) => i.interfaceId).sort()).toEqual([ids.a, ids.b].sort());
    expect(booted.connected).toBe(false);
    expect(booted.currentAt).toBe(saved!.currentAt);
    expect(logs.some((l) => l.fields.event === 'source-boot-from-file')).toBe(true);

    const nothing = source(deadUrl, join(dir, 'none.json'), []);
    await expect(nothing.start()).rejects.toThrow(Ec2SourceError);
    await expect(nothing.start()).rejects.toThrow(/does not exist, so there is nothing to enforce/);

    // A file read for another region or filters is refused, not enforced.
    writeFileSync(join(dir, 'other.json'), readFileSync(file, 'utf8').replace('"region":"us-east-1"', '"region":"eu-west-1"'));
    await expect(source(deadUrl, join(dir, 'other.json'), []).start()).rejects.toThrow(/holds region eu-west-1/);
  });
});

describe('throttling', () => {
  let throttler: Server;
  let url = '';
  beforeAll(async () => {
    throttler = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'text/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>');
      });
    });
    await new Promise<void>((resolve) => throttler.listen(0, '127.0.0.1', resolve));
    const a = throttler.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => throttler.close(() => resolve())));

  it('RequestLimitExceeded is a throttled read, and the poller waits longer each time', async () => {
    const r = reader(url);
    const e = await r.read().then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(Ec2ReadError);
    expect(e).toMatchObject({ code: 'RequestLimitExceeded', throttled: true });
    const file = join(dir, 'throttled.json');
    const ok = new Ec2Source({ reader: reader(), region: 'us-east-1', endpoint: server.url, filterText: [], hostId: 'h', hostAddresses: () => new Set(), stateFile: file, intervalMs: 1000, jitterMs: 0, log: () => undefined });
    await ok.start();
    await ok.stop();
    const s = new Ec2Source({ reader: r, region: 'us-east-1', endpoint: url, filterText: [], hostId: 'h', hostAddresses: () => new Set(), stateFile: file, intervalMs: 1000, jitterMs: 0, log: () => undefined });
    await s.start();
    for (let i = 0; i < 4; i++) await s.pollNow();
    expect(s.stats.throttled).toBe(5);
    // The next poll waits 8 intervals (2, 4, 8, then capped).
    expect(s.nextDelayMs()).toBe(8000);
    await s.stop();
    // A poll that passes brings the interval back.
    const back = new Ec2Source({ reader: reader(), region: 'us-east-1', endpoint: server.url, filterText: [], hostId: 'h', hostAddresses: () => new Set(), stateFile: file, intervalMs: 1000, jitterMs: 0, log: () => undefined });
    await back.start();
    expect(back.nextDelayMs()).toBe(1000);
    await back.stop();
  });
});
