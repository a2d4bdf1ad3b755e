import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDurableStore, readDurableState } from '../../../src/state/durable-store.js';
import type { SecurityGroupService } from '../../../src/control/service.js';
import { newService, VPC } from '../helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-surface-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function everything(s: SecurityGroupService) {
  return { vpcs: s.describeVpcs(), groups: s.describeSecurityGroups(), rules: s.describeSecurityGroupRules(), tags: s.describeTags() };
}

describe('VPCs, tags and modified rules survive a restart', () => {
  it('replaying the journal rebuilds the same VPCs, tags and rules', async () => {
    const dir = join(root, 'journal');
    const store = await openDurableStore(dir, { onWarning: () => {} });
    const { Vpc } = (await store.apply('CreateVpc', { CidrBlock: '10.9.0.0/16' })) as { Vpc: { VpcId: string } };
    const { GroupId } = (await store.apply('CreateSecurityGroup', { GroupName: 'a', Description: 'a', VpcId: Vpc.VpcId })) as { GroupId: string };
    const { SecurityGroupRules } = (await store.apply('AuthorizeSecurityGroupIngress', {
      GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    })) as { SecurityGroupRules: { SecurityGroupRuleId: string }[] };
    await store.apply('ModifySecurityGroupRules', {
      GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: SecurityGroupRules[0]!.SecurityGroupRuleId, SecurityGroupRule: { IpProtocol: 'udp', FromPort: 5, ToPort: 5, CidrIpv4: '10.1.0.0/16' } }],
    });
    await store.apply('CreateTags', { Resources: [GroupId, Vpc.VpcId], Tags: [{ Key: 'env', Value: 'x' }, { Key: 'gone', Value: '' }] });
    await store.apply('DeleteTags', { Resources: [GroupId], Tags: [{ Key: 'gone' }] });
    await store.apply('CreateTags', { Resources: [SecurityGroupRules[0]!.SecurityGroupRuleId], Tags: [{ Key: 'rule', Value: 'y' }] });
    const before = everything(store.service);
    await store.close();
    const reread = await readDurableState(dir);
    expect(everything(reread)).toEqual(before);
    expect(before.vpcs.Vpcs.find((v) => v.VpcId === Vpc.VpcId)?.CidrBlock).toBe('10.9.0.0/16');
    expect(before.tags.Tags.map((t) => t.ResourceType).sort()).toEqual(['security-group', 'security-group-rule', 'vpc', 'vpc']);
  });
});

describe('VPCs and tagged rules survive recovery from a snapshot', () => {
  it('a snapshot written after every call rebuilds the same VPCs, tags and rules', async () => {
    const dir = join(root, 'snapshot');
    const store = await openDurableStore(dir, { snapshotEvery: 1, onWarning: () => {} });
    const { Vpc } = (await store.apply('CreateVpc', { CidrBlock: '10.8.0.0/16' })) as { Vpc: { VpcId: string } };
    const { GroupId } = (await store.apply('CreateSecurityGroup', { GroupName: 'b', Description: 'b', VpcId: Vpc.VpcId })) as { GroupId: string };
    const { SecurityGroupRules } = (await store.apply('AuthorizeSecurityGroupIngress', {
      GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 2, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    })) as { SecurityGroupRules: { SecurityGroupRuleId: string }[] };
    await store.apply('CreateTags', { Resources: [SecurityGroupRules[0]!.SecurityGroupRuleId, Vpc.VpcId], Tags: [{ Key: 'k', Value: 'v' }] });
    const before = everything(store.service);
    await store.close();
    const reread = await readDurableState(dir);
    expect(everything(reread)).toEqual(before);
    expect(before.vpcs.Vpcs.find((v) => v.VpcId === Vpc.VpcId)?.CidrBlock).toBe('10.8.0.0/16');
    expect(before.tags.Tags.map((t) => t.ResourceType).sort()).toEqual(['security-group-rule', 'vpc']);
  });
});

describe('a state document carries VPC CIDRs and tags', () => {
  it('export then import keeps them, and leaves Vpcs out when there is nothing to carry', () => {
    const s = newService();
    s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    expect(s.exportSnapshot().Vpcs).toBeUndefined();
    const { Vpc } = s.createVpc({ CidrBlock: '10.3.0.0/20' });
    s.createTags({ Resources: [VPC], Tags: [{ Key: 'Name', Value: 'ns' }] });
    const doc = s.exportSnapshot();
    expect(doc.Vpcs?.map((v) => [v.VpcId, v.CidrBlock, v.Tags])).toEqual([[VPC, undefined, [{ Key: 'Name', Value: 'ns' }]], [Vpc.VpcId, '10.3.0.0/20', undefined]]);
    const copy = newService();
    copy.importSnapshot(structuredClone(doc));
    expect(copy.describeVpcs()).toEqual(s.describeVpcs());
    expect(copy.describeTags()).toEqual(s.describeTags());
  });
});
