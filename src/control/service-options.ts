// How a SecurityGroupService is made: the account and default VPC it answers as, EC2's quotas it
// enforces, and how it names what it creates.
export const DEFAULT_ACCOUNT_ID = '123456789012';
/** The VPC a call without VpcId works in. 17 zero digits: well-formed, and plainly not a real VPC. */
export const DEFAULT_VPC_ID = 'vpc-00000000000000000';

export interface Limits {
  inboundRulesPerGroup: number;
  outboundRulesPerGroup: number;
  groupsPerVpc: number;
  groupsPerInterface: number;
  /** VPCs per Region, the default VPC included (CreateVpc's quota) */
  vpcsPerRegion: number;
  /** EC2's ceiling on a managed prefix list's MaxEntries */
  prefixListMaxEntries: number;
  /** subnets per VPC (EC2's quota: 200) */
  subnetsPerVpc: number;
  /**
   * private IPv4 addresses per interface, the primary included, and IPv6 addresses per interface:
   * EC2's limit depends on the instance type (50 and 50 on the largest); sgfw has no instances
   */
  privateIpsPerInterface: number;
  ipv6AddressesPerInterface: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  inboundRulesPerGroup: 60,
  outboundRulesPerGroup: 60,
  groupsPerVpc: 2500,
  groupsPerInterface: 5,
  vpcsPerRegion: 5,
  prefixListMaxEntries: 1000,
  subnetsPerVpc: 200,
  privateIpsPerInterface: 50,
  ipv6AddressesPerInterface: 50,
};

export interface ServiceOptions {
  accountId?: string;
  defaultVpcId?: string;
  limits?: Partial<Limits>;
  /** returns the 17 hex digits after `sg-`, `sgr-`, `pl-`, `eni-`, `vpc-` (deterministic ids in tests) */
  idGenerator?: () => string;
  /** the region whose AWS-managed prefix lists DescribePrefixLists shows; us-east-1 by default */
  region?: string;
  /**
   * Rule ids derived from what the rule is (its group, direction, protocol, ports and peer)
   * instead of drawn: for state files read from disk (replay, run, monitor, SIGHUP reloads), whose
   * describe-security-groups JSON carries no rule ids, so the same rule is named by the same
   * `sgr-` id in verdicts, logs and flow records from one run or reload to the next.
   */
  ruleIdsFromContent?: boolean;
}
