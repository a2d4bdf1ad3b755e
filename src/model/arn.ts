// EC2 resource ARNs as EC2 prints them (CreateSecurityGroup's SecurityGroupArn, a rule's
// SecurityGroupRuleArn, a prefix list's PrefixListArn): `arn:PARTITION:ec2:REGION:OWNER:TYPE/ID`.
// The owner is the resource's own (an imported group keeps its account); AWS-managed prefix lists
// are owned by `aws` in their ARN (`arn:aws:ec2:us-east-1:aws:prefix-list/pl-63a5400a`).

export type ArnResourceType = 'security-group' | 'security-group-rule' | 'prefix-list' | 'subnet' | 'network-interface';

/** The partition a region belongs to: China and GovCloud regions have their own. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function ec2Arn(region: string, owner: string, type: ArnResourceType, id: string): string {
  const account = owner === 'AWS' ? 'aws' : owner;
  return `arn:${partitionOf(region)}:ec2:${region}:${account}:${type}/${id}`;
}
