import { describe, expect, it } from 'vitest';
import { formatGroupsText } from '../../src/cli/describe-text.js';
import type { IpPermission, SecurityGroup } from '../../src/model/types.js';

const perm = (p: Partial<IpPermission> & { IpProtocol: string }): IpPermission => ({
  IpRanges: [],
  Ipv6Ranges: [],
  PrefixListIds: [],
  UserIdGroupPairs: [],
  ...p,
});

const group = (over: Partial<SecurityGroup>): SecurityGroup => ({
  GroupId: 'sg-455b6c31',
  GroupName: 'WebServers',
  Description: 'web',
  OwnerId: '111122223333',
  VpcId: 'vpc-1',
  IpPermissions: [],
  IpPermissionsEgress: [],
  ...over,
});

const fields = (text: string): string[][] => text.trimEnd().split('\n').map((l) => l.split('\t'));

describe('groups print as ec2-describe-group printed them (seed 000)', () => {
  it("reproduces the seed's WebServers example word for word, tab-separated", () => {
    const text = formatGroupsText(
      [group({ IpPermissions: [perm({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })] })],
      new Map(),
    );
    expect(text.replace(/\t/g, ' ').replace(/\n/g, ' ').trim()).toBe(
      'GROUP sg-455b6c31 111122223333 WebServers web PERMISSION 111122223333 WebServers ALLOWS tcp 80 80 FROM CIDR 0.0.0.0/0 ingress',
    );
    expect(fields(text)).toEqual([
      ['GROUP', 'sg-455b6c31', '111122223333', 'WebServers', 'web'],
      ['PERMISSION', '111122223333', 'WebServers', 'ALLOWS', 'tcp', '80', '80', 'FROM', 'CIDR', '0.0.0.0/0', 'ingress'],
    ]);
  });

  it('prints one PERMISSION line per peer: IPv4, IPv6, prefix list, group', () => {
    const text = formatGroupsText(
      [
        group({
          IpPermissions: [
            perm({
              IpProtocol: 'tcp',
              FromPort: 443,
              ToPort: 443,
              IpRanges: [{ CidrIp: '0.0.0.0/0' }],
              Ipv6Ranges: [{ CidrIpv6: '::/0' }],
              PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }],
              UserIdGroupPairs: [{ GroupId: 'sg-1', UserId: '444455556666' }, { GroupId: 'sg-gone', UserId: '111122223333' }],
            }),
          ],
        }),
      ],
      new Map([['sg-1', 'LoadBalancers']]),
    );
    expect(fields(text).slice(1).map((f) => f.slice(7))).toEqual([
      ['FROM', 'CIDR', '0.0.0.0/0', 'ingress'],
      ['FROM', 'CIDR', '::/0', 'ingress'],
      ['FROM', 'PL', 'pl-0123456789abcdef0', 'ingress'],
      ['FROM', 'USER', '444455556666', 'NAME', 'LoadBalancers', 'ID', 'sg-1', 'ingress'],
      // a group not in the state (stale reference) has no name to show
      ['FROM', 'USER', '111122223333', 'ID', 'sg-gone', 'ingress'],
    ]);
  });

  it('all protocols print as "all" with empty ports; ICMP keeps -1 type and code; egress says TO', () => {
    const text = formatGroupsText(
      [
        group({
          IpPermissions: [perm({ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
          IpPermissionsEgress: [perm({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
        }),
      ],
      new Map(),
    );
    expect(fields(text).slice(1)).toEqual([
      ['PERMISSION', '111122223333', 'WebServers', 'ALLOWS', 'icmp', '-1', '-1', 'FROM', 'CIDR', '0.0.0.0/0', 'ingress'],
      ['PERMISSION', '111122223333', 'WebServers', 'ALLOWS', 'all', '', '', 'TO', 'CIDR', '0.0.0.0/0', 'egress'],
    ]);
  });

  it('no groups print nothing', () => {
    expect(formatGroupsText([], new Map())).toBe('');
  });
});
