import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ec2Error } from '../../../src/model/ec2-error.js';
import { SERVICE_ACTIONS } from '../../../src/control/service.js';
import { QUERY_ACTIONS, decodeQueryParams } from '../../../src/api/query-params.js';
import { runBotocore, skipBotocore } from './botocore.js';

const BODIES = JSON.parse(readFileSync(new URL('./fixtures/cli-bodies.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;

function errorOf(fn: () => unknown): Ec2Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Ec2Error) return e;
    throw e;
  }
  throw new Error('expected an Ec2Error');
}

const perm = {
  IpProtocol: 'tcp', FromPort: 22, ToPort: 23,
  UserIdGroupPairs: [{ Description: 'd', UserId: '123456789012', GroupName: 'n', GroupId: 'sg-1', VpcId: 'vpc-1' }],
  IpRanges: [{ Description: 'a', CidrIp: '10.0.0.0/8' }, { CidrIp: '192.0.2.0/24' }],
  Ipv6Ranges: [{ Description: 'b', CidrIpv6: '::/0' }],
  PrefixListIds: [{ Description: 'c', PrefixListId: 'pl-1' }],
};
const tags = [{ ResourceType: 'security-group', Tags: [{ Key: 'k', Value: 'v' }, { Key: 'k2', Value: '' }] }];
const filters = [{ Name: 'vpc-id', Values: ['vpc-1', 'vpc-2'] }, { Name: 'tag:env', Values: ['prod'] }];
const legacy = { IpProtocol: 'udp', FromPort: 53, ToPort: 53, CidrIp: '10.0.0.0/8', SourceSecurityGroupName: 'g', SourceSecurityGroupOwnerId: '1' };

/** For every EC2 action sgfw serves, params using every member sgfw reads. */
const EXAMPLES: Record<string, Record<string, unknown>> = {
  CreateSecurityGroup: { Description: 'd & <e>', GroupName: 'g', VpcId: 'vpc-1', TagSpecifications: tags, DryRun: true },
  DeleteSecurityGroup: { GroupId: 'sg-1', GroupName: 'g', DryRun: false },
  AuthorizeSecurityGroupIngress: { GroupId: 'sg-1', GroupName: 'g', IpPermissions: [perm, { IpProtocol: '-1' }], TagSpecifications: tags, ...legacy },
  AuthorizeSecurityGroupEgress: { GroupId: 'sg-1', IpPermissions: [perm], TagSpecifications: tags, ...legacy },
  RevokeSecurityGroupIngress: { GroupId: 'sg-1', GroupName: 'g', IpPermissions: [perm], SecurityGroupRuleIds: ['sgr-1', 'sgr-2'], ...legacy },
  RevokeSecurityGroupEgress: { GroupId: 'sg-1', IpPermissions: [perm], SecurityGroupRuleIds: ['sgr-1'], ...legacy },
  DescribeSecurityGroups: { GroupIds: ['sg-1', 'sg-2'], GroupNames: ['a', 'b'], Filters: filters, MaxResults: 10, NextToken: 't' },
  DescribeSecurityGroupRules: { SecurityGroupRuleIds: ['sgr-1'], Filters: filters, MaxResults: 5 },
  UpdateSecurityGroupRuleDescriptionsIngress: {
    GroupId: 'sg-1', GroupName: 'g', IpPermissions: [perm],
    SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: 'sgr-1', Description: 'x' }, { SecurityGroupRuleId: 'sgr-2' }],
  },
  UpdateSecurityGroupRuleDescriptionsEgress: { GroupId: 'sg-1', IpPermissions: [perm], SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: 'sgr-1', Description: 'x' }] },
  ModifySecurityGroupRules: {
    GroupId: 'sg-1',
    SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-1', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 1, ToPort: 2, CidrIpv4: '10.0.0.0/8', Description: 'm' } },
      { SecurityGroupRuleId: 'sgr-2', SecurityGroupRule: { IpProtocol: '-1', ReferencedGroupId: 'sg-2' } }],
  },
  ModifyNetworkInterfaceAttribute: {
    NetworkInterfaceId: 'eni-1', Groups: ['sg-1', 'sg-2'], Description: { Value: 'front' }, SourceDestCheck: { Value: false },
    ConnectionTrackingSpecification: { TcpEstablishedTimeout: 3600, UdpStreamTimeout: 120, UdpTimeout: 30 },
  },
  CreateManagedPrefixList: {
    PrefixListName: 'p', MaxEntries: 3, AddressFamily: 'IPv6', ClientToken: 'c',
    Entries: [{ Cidr: '2001:db8::/32', Description: 'e' }, { Cidr: '2001:db9::/32' }],
    TagSpecifications: [{ ResourceType: 'prefix-list', Tags: [{ Key: 'k', Value: 'v' }] }],
  },
  ModifyManagedPrefixList: {
    PrefixListId: 'pl-1', CurrentVersion: 4, PrefixListName: 'q', MaxEntries: 9,
    AddEntries: [{ Cidr: '10.0.0.0/8', Description: 'a' }], RemoveEntries: [{ Cidr: '10.1.0.0/16' }, { Cidr: '10.2.0.0/16' }],
  },
  GetManagedPrefixListEntries: { PrefixListId: 'pl-1', TargetVersion: 2, MaxResults: 100, NextToken: 'n' },
  DescribeManagedPrefixLists: { PrefixListIds: ['pl-1', 'pl-2'], Filters: filters },
  DeleteManagedPrefixList: { PrefixListId: 'pl-1', DryRun: true },
  DescribeNetworkInterfaces: { NetworkInterfaceIds: ['eni-1'], Filters: filters, MaxResults: 6 },
};

describe('the decoder speaks for every action of the service', () => {
  it('has a request table for each action the service dispatches', () => {
    for (const action of SERVICE_ACTIONS) expect(QUERY_ACTIONS, action).toContain(action);
  });
});

describe.skipIf(skipBotocore)('whatever botocore (the AWS CLI, boto3) sends decodes to the params it was given', () => {
  it('round-trips every member of every EC2 action through botocore\'s EC2 serializer', () => {
    const actions = Object.keys(EXAMPLES);
    const answers = runBotocore(actions.map((operation) => ({ kind: 'serialize' as const, operation, params: EXAMPLES[operation] }))) as { params: unknown; form: Record<string, string> }[];
    actions.forEach((action, i) => {
      const { params, form } = answers[i]!;
      expect(form.Action).toBe(action);
      expect(decodeQueryParams(action, form), `${action} from ${JSON.stringify(form)}`).toEqual(params);
    });
  }, 30_000);
});

describe('the bodies the AWS CLI sends decode as the service expects', () => {
  it('group pairs arrive as IpPermissions.N.Groups.M and become UserIdGroupPairs', () => {
    const p = decodeQueryParams('AuthorizeSecurityGroupIngress', BODIES['authorize-ingress-all-peers']!);
    expect(p).toEqual({
      GroupId: 'SG_WEB',
      IpPermissions: [
        {
          IpProtocol: 'tcp', FromPort: 22, ToPort: 22,
          IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }],
          UserIdGroupPairs: [{ GroupId: 'SG_DB', Description: 'peer' }],
          PrefixListIds: [{ PrefixListId: 'PL_1', Description: 'corp' }],
        },
        { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '192.0.2.0/24' }] },
      ],
    });
  });

  it('describe filters and id lists arrive as Filter.N.Value.M and GroupId.N', () => {
    expect(decodeQueryParams('DescribeSecurityGroups', BODIES['describe-security-groups']!)).toEqual({
      GroupIds: ['SG_WEB', 'SG_DB'],
      Filters: [{ Name: 'vpc-id', Values: ['vpc-1a2b3c4d'] }, { Name: 'group-name', Values: ['web', 'db'] }],
    });
  });

  it('prefix-list entries arrive as Entry.N, AddEntry.N and RemoveEntry.N', () => {
    expect(decodeQueryParams('CreateManagedPrefixList', BODIES['create-managed-prefix-list']!)).toMatchObject({
      MaxEntries: 5, Entries: [{ Cidr: '10.0.0.0/8', Description: 'corp' }, { Cidr: '192.168.0.0/16' }],
    });
    expect(decodeQueryParams('ModifyManagedPrefixList', BODIES['modify-managed-prefix-list']!)).toEqual({
      PrefixListId: 'PL_1', CurrentVersion: 1,
      AddEntries: [{ Cidr: '172.16.0.0/12', Description: 'lab' }], RemoveEntries: [{ Cidr: '192.168.0.0/16' }],
    });
  });

  it('an interface\'s groups arrive as SecurityGroupId.N and its description as Description.Value', () => {
    expect(decodeQueryParams('ModifyNetworkInterfaceAttribute', BODIES['modify-network-interface-groups']!)).toEqual({
      NetworkInterfaceId: 'ENI_1', Groups: ['SG_WEB', 'SG_DB'],
    });
    expect(decodeQueryParams('ModifyNetworkInterfaceAttribute', BODIES['modify-network-interface-description']!)).toEqual({
      NetworkInterfaceId: 'ENI_1', Description: { Value: 'front end' },
    });
  });
});

describe('sgfw\'s own interface registration follows CreateNetworkInterface\'s encoding', () => {
  it('decodes addresses, groups and connection tracking', () => {
    const form = new URLSearchParams(
      'Action=RegisterNetworkInterface&Version=2016-11-15&NetworkInterfaceId=eni-0123456789abcdef0&VpcId=vpc-1' +
      '&PrivateIpAddress=10.0.0.5&PrivateIpAddresses.1.PrivateIpAddress=10.0.0.6&PrivateIpAddresses.1.Primary=false' +
      '&Ipv6Addresses.1.Ipv6Address=2001%3Adb8%3A%3A1&SecurityGroupId.1=sg-1&SecurityGroupId.2=sg-2' +
      '&ConnectionTrackingSpecification.TcpEstablishedTimeout=600&ConnectionTrackingSpecification.UdpTimeout=45&Description=a%20b',
    );
    expect(decodeQueryParams('RegisterNetworkInterface', form)).toEqual({
      NetworkInterfaceId: 'eni-0123456789abcdef0', VpcId: 'vpc-1', Description: 'a b', PrivateIpAddress: '10.0.0.5',
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.6', Primary: false }], Ipv6Addresses: [{ Ipv6Address: '2001:db8::1' }],
      Groups: ['sg-1', 'sg-2'], ConnectionTrackingSpecification: { TcpEstablishedTimeout: 600, UdpTimeout: 45 },
    });
    expect(decodeQueryParams('DeregisterNetworkInterface', { NetworkInterfaceId: 'eni-1' })).toEqual({ NetworkInterfaceId: 'eni-1' });
  });

  it('passes the fleet HostId through registration and ModifyNetworkInterfaceAttribute', () => {
    expect(decodeQueryParams('RegisterNetworkInterface', { PrivateIpAddress: '10.0.0.5', 'SecurityGroupId.1': 'sg-1', HostId: 'h1' })).toEqual({
      PrivateIpAddress: '10.0.0.5', Groups: ['sg-1'], HostId: 'h1',
    });
    expect(decodeQueryParams('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-1', 'HostId.Value': 'h2' })).toEqual({
      NetworkInterfaceId: 'eni-1', HostId: { Value: 'h2' },
    });
  });
});

describe('malformed and missing parameters are refused as EC2 refuses them', () => {
  it('a port that is not an integer is InvalidParameterValue naming the parameter', () => {
    const e = errorOf(() => decodeQueryParams('AuthorizeSecurityGroupIngress', { GroupId: 'sg-1', 'IpPermissions.1.FromPort': '22x' }));
    expect(e.code).toBe('InvalidParameterValue');
    expect(e.message).toContain('IpPermissions.1.FromPort');
  });

  it('a boolean that is not true/false is InvalidParameterValue', () => {
    expect(errorOf(() => decodeQueryParams('DeleteSecurityGroup', { GroupId: 'sg-1', DryRun: 'yes' })).code).toBe('InvalidParameterValue');
    expect(decodeQueryParams('DeleteSecurityGroup', { GroupId: 'sg-1', DryRun: 'TRUE' })).toEqual({ GroupId: 'sg-1', DryRun: true });
  });

  it('list index 0 is refused: EC2 lists start at 1', () => {
    expect(errorOf(() => decodeQueryParams('DescribeSecurityGroups', { 'GroupId.0': 'sg-1' })).code).toBe('InvalidParameterValue');
  });

  it('a required parameter that is absent is MissingParameter with its wire name', () => {
    const e = errorOf(() => decodeQueryParams('CreateSecurityGroup', { GroupName: 'g' }));
    expect([e.code, e.message]).toEqual(['MissingParameter', 'The request must contain the parameter GroupDescription']);
    const nested = errorOf(() => decodeQueryParams('CreateManagedPrefixList', {
      PrefixListName: 'p', MaxEntries: '2', AddressFamily: 'IPv4', 'Entry.1.Cidr': '10.0.0.0/8', 'Entry.2.Description': 'no cidr',
    }));
    expect(nested.message).toBe('The request must contain the parameter Entry.2.Cidr');
  });

  it('an action sgfw does not serve is InvalidAction', () => {
    expect(errorOf(() => decodeQueryParams('RunInstances', {})).code).toBe('InvalidAction');
    expect(errorOf(() => decodeQueryParams('toString', {})).code).toBe('InvalidAction');
  });
});

describe('parameters the action does not have are refused as EC2 refuses them: UnknownParameter', () => {
  it('takes Action and Version, and keeps list order by index', () => {
    expect(decodeQueryParams('DescribeSecurityGroups', {
      Action: 'DescribeSecurityGroups', Version: '2016-11-15',
      'GroupId.10': 'sg-c', 'GroupId.2': 'sg-b', 'GroupId.1': 'sg-a', 'Filter.1.Name': 'vpc-id',
    })).toEqual({ GroupIds: ['sg-a', 'sg-b', 'sg-c'], Filters: [{ Name: 'vpc-id' }] });
  });

  const unknown: [string, Record<string, string>, string][] = [
    ['a top-level parameter the action does not have', { Bogus: '1' }, 'Bogus'],
    ['a misspelt member of a list item (Values for Value)', { 'Filter.1.Name': 'group-id', 'Filter.1.Values.1': 'sg-1' }, 'Filter.1.Values.1'],
    ['a list index that is not a number', { 'GroupId.x': 'sg-1' }, 'GroupId.x'],
    ['a value where a list is given by its items', { GroupId: 'sg-1' }, 'GroupId'],
  ];
  for (const [what, form, name] of unknown) {
    it(`${what} is UnknownParameter naming it whole`, () => {
      const e = errorOf(() => decodeQueryParams('DescribeSecurityGroups', form));
      expect([e.code, e.message, e.httpStatus]).toEqual(['UnknownParameter', `The parameter ${name} is not recognized`, 400]);
    });
  }

  it('in a nested structure too: a misspelt peer list, a value where an IpPermission is given by its members', () => {
    const misspelt = errorOf(() => decodeQueryParams('AuthorizeSecurityGroupIngress', {
      GroupId: 'sg-1', 'IpPermissions.1.IpProtocol': 'tcp', 'IpPermissions.1.FromPort': '22', 'IpPermissions.1.ToPort': '22', 'IpPermissions.1.IpRange.1.CidrIp': '10.0.0.0/8',
    }));
    expect([misspelt.code, misspelt.message]).toEqual(['UnknownParameter', 'The parameter IpPermissions.1.IpRange.1.CidrIp is not recognized']);
    const scalar = errorOf(() => decodeQueryParams('AuthorizeSecurityGroupIngress', { GroupId: 'sg-1', 'IpPermissions.1': 'x' }));
    expect([scalar.code, scalar.message]).toEqual(['UnknownParameter', 'The parameter IpPermissions.1 is not recognized']);
  });

  it('an empty value is botocore\'s empty list, not an unknown parameter', () => {
    expect(decodeQueryParams('DescribeSecurityGroups', { GroupId: '' })).toEqual({ GroupIds: [] });
  });
});
