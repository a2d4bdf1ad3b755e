import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../src/control/service.js';
import { Ec2Error } from '../../src/model/ec2-error.js';
import { loadStateFiles, readStateFile, StateError, type StateDocument, type StateImporter } from '../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sgfw-state-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 4));
  return path;
}

/** Records what it was asked to import; throws `fail` instead when given. */
class RecordingImporter {
  imported: StateDocument[] = [];
  constructor(private readonly fail?: Error) {}
  importSnapshot(doc: StateDocument): void {
    if (this.fail) throw this.fail;
    this.imported.push(doc);
  }
}

const sg = (id: string, name: string) => ({ GroupId: id, GroupName: name, Description: name, IpPermissions: [], IpPermissionsEgress: [] });
const eni = (id: string, ip: string) => ({ NetworkInterfaceId: id, PrivateIpAddresses: [{ PrivateIpAddress: ip, Primary: true }] });

async function refusal(paths: string[], importer: StateImporter = new RecordingImporter()): Promise<StateError> {
  try {
    await loadStateFiles(paths, importer);
  } catch (e) {
    expect(e).toBeInstanceOf(StateError);
    return e as StateError;
  }
  throw new Error('loaded');
}

describe('the bundled state files are in the AWS CLI format', () => {
  for (const name of ['albert', 'mary', 'conntrack', 'prefix-list']) {
    it(`pcaps/${name}/state.json reads without error`, () => {
      const doc = readStateFile(`pcaps/${name}/state.json`);
      expect(doc.SecurityGroups?.length).toBeGreaterThan(0);
      expect(doc.NetworkInterfaces?.length).toBeGreaterThan(0);
    });
  }

  it("Albert's default group admits its own members and SSH from his machine only", () => {
    const [g] = readStateFile('pcaps/albert/state.json').SecurityGroups ?? [];
    expect(g.GroupName).toBe('default');
    expect(g.IpPermissions?.map((p) => [p.IpProtocol, p.UserIdGroupPairs?.map((u) => u.GroupId), p.IpRanges?.map((r) => r.CidrIp)])).toEqual([
      ['-1', [g.GroupId], []],
      ['tcp', [], ['203.0.113.5/32']],
    ]);
  });

  it('the prefix-list file carries its entries and a rule referring to the list', () => {
    const doc = readStateFile('pcaps/prefix-list/state.json');
    const pl = doc.PrefixLists?.[0];
    expect(pl?.Entries?.length).toBe(2);
    expect(doc.SecurityGroups?.[0].IpPermissions?.[0].PrefixListIds?.[0].PrefixListId).toBe(pl?.PrefixListId);
  });
});

describe('several --state files merge in the order given', () => {
  it('concatenates each kind across files and imports once', async () => {
    const a = file('a.json', { SecurityGroups: [sg('sg-0000000000000000a', 'a')], NetworkInterfaces: [eni('eni-0000000000000000a', '10.0.0.1')] });
    const b = file('b.json', { SecurityGroups: [sg('sg-0000000000000000b', 'b')] });
    const c = file('c.json', { NetworkInterfaces: [eni('eni-0000000000000000c', '10.0.0.3')], PrefixLists: [] });
    const importer = new RecordingImporter();
    await loadStateFiles([a, b, c], importer);
    expect(importer.imported).toHaveLength(1);
    const doc = importer.imported[0];
    expect(doc.SecurityGroups?.map((g) => g.GroupId)).toEqual(['sg-0000000000000000a', 'sg-0000000000000000b']);
    expect(doc.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual(['eni-0000000000000000a', 'eni-0000000000000000c']);
    expect(doc.PrefixLists).toEqual([]);
  });

  it('the same group in two files is refused, naming both places', async () => {
    const a = file('dup-a.json', { SecurityGroups: [sg('sg-0000000000000000a', 'a'), sg('sg-0000000000000000b', 'b')] });
    const b = file('dup-b.json', { SecurityGroups: [sg('sg-0000000000000000b', 'b')] });
    const importer = new RecordingImporter();
    const e = await refusal([a, b], importer);
    expect(e.message).toBe(`${b}: SecurityGroups[0].GroupId: sg-0000000000000000b is already defined at ${a}: SecurityGroups[1]`);
    expect(importer.imported).toHaveLength(0);
  });

  it('one bad file imports nothing at all', async () => {
    const good = file('good.json', { SecurityGroups: [sg('sg-0000000000000000a', 'a')] });
    const bad = file('bad.json', { SecurityGroups: [{ GroupName: 'x' }] });
    const importer = new RecordingImporter();
    const e = await refusal([good, bad], importer);
    expect(e.message).toBe(`${bad}: SecurityGroups[0].GroupId: required field is missing`);
    expect(importer.imported).toHaveLength(0);
  });
});

describe("the model's refusal names the file and path the user wrote, with EC2's code", () => {
  const a = file('sem-a.json', { SecurityGroups: [sg('sg-0000000000000000a', 'a')] });
  const b = file('sem-b.json', {
    SecurityGroups: [{ ...sg('sg-0000000000000000b', 'b'), IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.1/8' }] }] }],
  });

  it('maps a path into the merged document back to its file and index', async () => {
    const err = Object.assign(new Ec2Error('InvalidParameterValue', 'CIDR block 10.0.0.1/8 is malformed'), {
      path: 'SecurityGroups[1].IpPermissions[0].IpRanges[0].CidrIp',
    });
    const e = await refusal([a, b], new RecordingImporter(err));
    expect(e.message).toBe(`${b}: SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp: InvalidParameterValue: CIDR block 10.0.0.1/8 is malformed`);
    expect(e.code).toBe('InvalidParameterValue');
  });

  it('an error with no path names every file', async () => {
    const e = await refusal([a, b], new RecordingImporter(new Ec2Error('VpcLimitExceeded', 'too many')));
    expect(e.message).toBe(`${a}, ${b}: VpcLimitExceeded: too many`);
  });

  it('two interfaces with one address are refused in any VPCs and either file order (issue 15)', async () => {
    const one = file('addr-1.json', { NetworkInterfaces: [{ ...eni('eni-0000000000000000a', '10.0.0.5'), VpcId: 'vpc-0000000000000000a' }] });
    const two = file('addr-2.json', { NetworkInterfaces: [{ ...eni('eni-0000000000000000b', '10.0.0.5'), VpcId: 'vpc-0000000000000000b' }] });
    for (const [first, second, held] of [[one, two, 'a'], [two, one, 'b']] as const) {
      const service = new SecurityGroupService();
      const e = await refusal([first, second], service);
      expect(e.message).toBe(
        `${second}: NetworkInterfaces[0]: InvalidIPAddress.InUse: Address 10.0.0.5 is in use by eni-0000000000000000${held} (VPC 'vpc-0000000000000000${held}', enforced on every host).`,
      );
      expect(e.message).not.toContain('\n');
      expect(service.exportSnapshot().NetworkInterfaces).toHaveLength(0);
    }
  });

  it('other failures are not disguised as state errors', async () => {
    await expect(loadStateFiles([a], new RecordingImporter(new TypeError('bug')))).rejects.toThrow(TypeError);
  });
});

describe('a file that cannot be read', () => {
  it('is one line naming the file', async () => {
    const e = await refusal([join(dir, 'missing.json')]);
    expect(e.message).toBe(`${join(dir, 'missing.json')}: cannot read the file: no such file`);
  });

  it('a directory is named as such', async () => {
    const e = await refusal([dir]);
    expect(e.message).toBe(`${dir}: cannot read the file: it is a directory`);
  });
});

describe('the bundled state files import into the control-plane service', () => {
  const counts: Record<string, [groups: number, interfaces: number, prefixLists: number]> = {
    albert: [1, 1, 0],
    mary: [4, 4, 0],
    conntrack: [1, 1, 0],
    'prefix-list': [1, 1, 1],
  };
  for (const [name, [groups, interfaces, prefixLists]] of Object.entries(counts)) {
    it(`pcaps/${name}/state.json keeps its ids and addresses`, async () => {
      const service = new SecurityGroupService();
      const merged = await loadStateFiles([`pcaps/${name}/state.json`], service);
      const snapshot = service.exportSnapshot();
      const given = merged.doc;
      expect(given.SecurityGroups).toHaveLength(groups);
      expect(given.NetworkInterfaces).toHaveLength(interfaces);
      expect(given.PrefixLists ?? []).toHaveLength(prefixLists);
      expect(snapshot.SecurityGroups.map((g) => g.GroupId)).toEqual(expect.arrayContaining(given.SecurityGroups!.map((g) => g.GroupId)));
      const enis = service.describeNetworkInterfaces({}).NetworkInterfaces;
      for (const n of given.NetworkInterfaces!) {
        const got = enis.find((e) => e.NetworkInterfaceId === n.NetworkInterfaceId);
        expect(got?.PrivateIpAddresses.map((a) => a.PrivateIpAddress)).toEqual(n.PrivateIpAddresses!.map((a) => a.PrivateIpAddress));
        expect(got?.Groups.map((g) => g.GroupId)).toEqual(n.Groups!.map((g) => g.GroupId));
      }
    });
  }

  it("app1 keeps its secondary address; web1 its IPv6 address (Mary's tiers)", async () => {
    const service = new SecurityGroupService();
    await loadStateFiles(['pcaps/mary/state.json'], service);
    const enis = service.describeNetworkInterfaces({}).NetworkInterfaces;
    const app1 = enis.find((e) => e.Description === 'app1');
    const web1 = enis.find((e) => e.Description === 'web1');
    expect(app1?.PrivateIpAddresses.map((a) => a.PrivateIpAddress)).toEqual(['10.0.2.10', '10.0.2.20']);
    expect(web1?.Ipv6Addresses.map((a) => a.Ipv6Address)).toEqual(['2001:db8:1::10']);
  });

  it.each([
    ['a negative port', { IpProtocol: 'tcp', FromPort: -2, ToPort: 80 }, 'FromPort', "Invalid value '-2' for fromPort. Must be between 0 and 65535."],
    ['a port past 65535', { IpProtocol: 'udp', FromPort: 53, ToPort: 65536 }, 'ToPort', "Invalid value '65536' for toPort. Must be between 0 and 65535."],
    ['a TCP rule without ports', { IpProtocol: 'tcp', ToPort: 80 }, 'FromPort', 'The request must contain the parameter FromPort'],
    ['an ICMP type past 255', { IpProtocol: 'icmp', FromPort: 256, ToPort: -1 }, 'FromPort', "Invalid value '256' for ICMP type. Must be between -1 and 255."],
  ])('%s is named by its field: SecurityGroups[0].IpPermissions[0].FromPort/ToPort', async (_what, perm, field, message) => {
    const bad = file(`ports-${field}.json`, { SecurityGroups: [{ ...sg('sg-0123456789abcdef0', 'web'), IpPermissions: [{ ...perm, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }] });
    const e = await refusal([bad], new SecurityGroupService());
    expect(e.message).toMatch(new RegExp(`^${bad}: SecurityGroups\\[0\\]\\.IpPermissions\\[0\\]\\.${field}: [A-Za-z]+: `));
    expect(e.message.endsWith(message)).toBe(true);
  });

  it.each([
    ['a secondary IPv4 address out of range', { PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }, { PrivateIpAddress: '10.0.0.256' }] }, 'PrivateIpAddresses[1].PrivateIpAddress', 'Invalid private IPv4 address: 10.0.0.256'],
    ['an IPv4-mapped address as the primary', { PrivateIpAddress: '::ffff:10.0.0.5' }, 'PrivateIpAddress', 'Invalid private IPv4 address: ::ffff:10.0.0.5'],
    ['an IPv6 address that is IPv4', { Ipv6Addresses: [{ Ipv6Address: '10.0.0.6' }] }, 'Ipv6Addresses[0].Ipv6Address', 'Invalid IPv6 address: 10.0.0.6'],
  ])('%s is named by its field: NetworkInterfaces[0].…', async (_what, addresses, field, message) => {
    const bad = file(`eni-${field.replace(/\W/g, '')}.json`, {
      SecurityGroups: [sg('sg-0123456789abcdef0', 'web')],
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', Groups: [{ GroupId: 'sg-0123456789abcdef0' }], ...addresses }],
    });
    const e = await refusal([bad], new SecurityGroupService());
    expect(e.message).toBe(`${bad}: NetworkInterfaces[0].${field}: InvalidParameterValue: ${message}`);
  });

  it('a semantic error from the model leaves the service empty (all or nothing)', async () => {
    const service = new SecurityGroupService();
    const bad = file('host-bits.json', {
      SecurityGroups: [{ ...sg('sg-0123456789abcdef0', 'web'), VpcId: 'vpc-0123456789abcdef0', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.1/8' }] }] }],
    });
    const e = await refusal(['pcaps/albert/state.json', bad], service);
    expect(e.file).toBe(bad);
    expect(e.path).toMatch(/^SecurityGroups\[0\]\.IpPermissions\[0\]/);
    expect(e.code).toMatch(/^Invalid/);
    expect(service.exportSnapshot().NetworkInterfaces).toHaveLength(0);
  });
});
