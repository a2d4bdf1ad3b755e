import { describe, expect, it } from 'vitest';
import { parseStateText, StateError } from '../../src/state/index.js';

function refusal(text: string, file = 'state.json'): string {
  try {
    parseStateText(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(StateError);
    return (e as StateError).message;
  }
  throw new Error('the text was accepted');
}

const group = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  GroupId: 'sg-0123456789abcdef0',
  GroupName: 'web',
  Description: 'web',
  IpPermissions: [],
  IpPermissionsEgress: [],
  ...over,
});

const doc = (o: unknown): string => JSON.stringify(o);

describe('a structural mistake is one line naming the file, the JSON path and the problem', () => {
  const cases: [string, unknown, string][] = [
    [
      'a port written as a word',
      { SecurityGroups: [group({ IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }, { IpProtocol: 'tcp', FromPort: 'eighty', ToPort: 80 }] })] },
      'state.json: SecurityGroups[0].IpPermissions[1].FromPort: expected a number, got "eighty"',
    ],
    [
      'a fractional port',
      { SecurityGroups: [group({ IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80.5 }] })] },
      'state.json: SecurityGroups[0].IpPermissions[0].ToPort: expected an integer, got 80.5',
    ],
    [
      'a protocol given as a number',
      { SecurityGroups: [group({ IpPermissions: [{ IpProtocol: 6 }] })] },
      'state.json: SecurityGroups[0].IpPermissions[0].IpProtocol: expected a string, got 6',
    ],
    [
      'a missing group id',
      { SecurityGroups: [group(), { GroupName: 'x' }] },
      'state.json: SecurityGroups[1].GroupId: required field is missing',
    ],
    [
      'a range without its CIDR',
      { SecurityGroups: [group({ IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ Description: 'all' }] }] })] },
      'state.json: SecurityGroups[0].IpPermissionsEgress[0].IpRanges[0].CidrIp: required field is missing',
    ],
    [
      'a group pair without a group id',
      { SecurityGroups: [group({ IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ UserId: '111122223333' }] }] })] },
      'state.json: SecurityGroups[0].IpPermissions[0].UserIdGroupPairs[0].GroupId: required field is missing',
    ],
    [
      'rules given as an object instead of a list',
      { SecurityGroups: [group({ IpPermissions: { IpProtocol: 'tcp' } })] },
      'state.json: SecurityGroups[0].IpPermissions: expected an array, got an object',
    ],
    [
      'a null where a list belongs',
      { SecurityGroups: null },
      'state.json: SecurityGroups: expected an array, got null',
    ],
    [
      'an IPv6 address written as a bare string',
      { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', Ipv6Addresses: ['2001:db8::1'] }] },
      'state.json: NetworkInterfaces[0].Ipv6Addresses[0]: expected an object, got "2001:db8::1"',
    ],
    [
      'a primary flag written as a string',
      { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.1', Primary: 'yes' }] }] },
      'state.json: NetworkInterfaces[0].PrivateIpAddresses[0].Primary: expected true or false, got "yes"',
    ],
    [
      'a timeout written as a string',
      { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', ConnectionTrackingConfiguration: { UdpTimeout: '30' } }] },
      'state.json: NetworkInterfaces[0].ConnectionTrackingConfiguration.UdpTimeout: expected a number, got "30"',
    ],
    [
      'an interface group without its id',
      { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', Groups: [{ GroupName: 'web' }] }] },
      'state.json: NetworkInterfaces[0].Groups[0].GroupId: required field is missing',
    ],
    [
      'an address family in the wrong case',
      { PrefixLists: [{ PrefixListId: 'pl-0123456789abcdef0', AddressFamily: 'ipv4' }] },
      'state.json: PrefixLists[0].AddressFamily: expected "IPv4" or "IPv6", got "ipv4"',
    ],
    [
      'a prefix-list entry without its CIDR',
      { PrefixLists: [{ PrefixListId: 'pl-0123456789abcdef0', AddressFamily: 'IPv4', Entries: [{ Cidr: '10.0.0.0/8' }, {}] }] },
      'state.json: PrefixLists[0].Entries[1].Cidr: required field is missing',
    ],
    [
      'a tag without a value',
      { SecurityGroups: [group({ Tags: [{ Key: 'Name' }] })] },
      'state.json: SecurityGroups[0].Tags[0].Value: required field is missing',
    ],
    ['a list at the top', [{ GroupId: 'sg-1' }], 'state.json: (top level): expected an object, got an array'],
  ];
  for (const [what, value, message] of cases) {
    it(`${what}`, () => {
      expect(refusal(doc(value))).toBe(message);
    });
  }

  it('a file with none of the known keys is refused (probably the wrong command output)', () => {
    expect(refusal(doc({ SecurityGroupRules: [] }), 'rules.json')).toBe(
      'rules.json: (top level): expected at least one of SecurityGroups, NetworkInterfaces, PrefixLists (the output of aws ec2 describe-*)',
    );
  });

  it('every message is a single line', () => {
    for (const [, value] of cases) expect(refusal(doc(value))).not.toContain('\n');
  });
});

describe('invalid JSON names the file, line and column', () => {
  const cases: [string, string, string][] = [
    ['a trailing comma', '{\n  "SecurityGroups": [\n    {"GroupId": "sg-1",}\n  ]\n}', 'a.json:3:24: invalid JSON: unexpected "}", expected a property name in double quotes'],
    ['a missing colon', '{"SecurityGroups" []}', 'a.json:1:19: invalid JSON: unexpected "[", expected \':\''],
    ['a cut-off file', '{\n"SecurityGroups": [', 'a.json:2:20: invalid JSON: unexpected end of input, expected a value'],
    ['a single-quoted string', "{\n\n  'SecurityGroups': []}", 'a.json:3:3: invalid JSON: unexpected "\'", expected a property name in double quotes'],
    ['text after the value', '{"SecurityGroups": []}\n{"PrefixLists": []}', 'a.json:2:1: invalid JSON: unexpected "{" after the end of the JSON value'],
    ['an empty file', '', 'a.json:1:1: invalid JSON: unexpected end of input, expected a value'],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      expect(refusal(text, 'a.json')).toBe(message);
    });
  }

  it('a byte-order mark at the start is not an error', () => {
    expect(parseStateText('\ufeff{"SecurityGroups": []}', 'bom.json')).toEqual({ SecurityGroups: [] });
  });
});

describe('fields the AWS CLI prints that sgfw does not use are ignored', () => {
  it('keeps the known fields and drops the rest', () => {
    const parsed = parseStateText(
      doc({
        ResponseMetadata: { RequestId: 'x' },
        SecurityGroups: [
          group({
            SecurityGroupArn: 'arn:aws:ec2:…',
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Foo: 1 }], Bar: true }],
          }),
        ],
        NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', Status: 'in-use', Attachment: { DeviceIndex: 0 }, PrivateIpAddress: '10.0.0.1' }],
      }),
      'x.json',
    );
    expect(parsed).toEqual({
      SecurityGroups: [
        {
          GroupId: 'sg-0123456789abcdef0',
          GroupName: 'web',
          Description: 'web',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
          IpPermissionsEgress: [],
        },
      ],
      // only the top-level primary address was given: it becomes the primary of the list
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-0123456789abcdef0', PrivateIpAddress: '10.0.0.1', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.1', Primary: true }] },
      ],
    });
  });
});
