// Resource ids. EC2 issues `sg-`/`sgr-`/`pl-`/`eni-`/`vpc-` followed by 17 hex digits today and
// issued 8 hex digits before 2016; both appear in real `describe-*` output, so both are accepted
// where an id comes from the user, and new ids always get 17.
//
// One check per id kind (checkGroupId, …): every place an id arrives, a parameter, a filter value,
// a state document, answers the same EC2 code and message for a malformed one.
import { randomBytes } from 'node:crypto';
import { Ec2Errors } from './errors.js';
import { shown } from './shown.js';

export type IdPrefix = 'sg' | 'sgr' | 'pl' | 'eni' | 'vpc' | 'subnet';

const ID_PATTERNS: Record<IdPrefix, RegExp> = {
  sg: /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  sgr: /^sgr-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  pl: /^pl-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  eni: /^eni-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  // VPC ids are namespaces here (a VPC comes to be on first use), so any hex length will do:
  // hand-written state and test suites use short ones such as `vpc-12345`.
  vpc: /^vpc-[0-9a-f]{1,17}$/,
  subnet: /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
};

export function isResourceId(prefix: IdPrefix, id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERNS[prefix].test(id);
}

/** InvalidGroupId.Malformed unless `id` is an `sg-` id. */
export function checkGroupId(id: unknown): asserts id is string {
  if (!isResourceId('sg', id)) throw Ec2Errors.groupIdMalformed(shown(id));
}

/** InvalidSecurityGroupRuleId.Malformed unless `id` is an `sgr-` id. */
export function checkRuleId(id: unknown): asserts id is string {
  if (!isResourceId('sgr', id)) throw Ec2Errors.ruleIdMalformed(shown(id));
}

/** InvalidNetworkInterfaceId.Malformed unless `id` is an `eni-` id. */
export function checkInterfaceId(id: unknown): asserts id is string {
  if (!isResourceId('eni', id)) throw Ec2Errors.interfaceIdMalformed(shown(id));
}

/** InvalidPrefixListId.Malformed unless `id` is a `pl-` id. */
export function checkPrefixListId(id: unknown): asserts id is string {
  if (!isResourceId('pl', id)) throw Ec2Errors.prefixListIdMalformed(shown(id));
}

/** InvalidVpcId.Malformed unless `id` is a `vpc-` id. */
export function checkVpcId(id: unknown): asserts id is string {
  if (!isResourceId('vpc', id)) throw Ec2Errors.vpcIdMalformed(shown(id));
}

/** InvalidSubnetID.Malformed unless `id` is a `subnet-` id. */
export function checkSubnetId(id: unknown): asserts id is string {
  if (!isResourceId('subnet', id)) throw Ec2Errors.subnetIdMalformed(shown(id));
}

/** The check of each id kind, for callers that hold the kind as data (filters naming an id). */
export const ID_CHECKS: Readonly<Record<IdPrefix, (id: unknown) => void>> = {
  sg: checkGroupId,
  sgr: checkRuleId,
  eni: checkInterfaceId,
  pl: checkPrefixListId,
  vpc: checkVpcId,
  subnet: checkSubnetId,
};

/** 17 random lowercase hex digits: the suffix of a new id. */
export function randomIdSuffix(): string {
  return randomBytes(9).toString('hex').slice(0, 17);
}

/** A generator that counts: `00000000000000001`, `…02`, … (deterministic ids for tests). */
export function countingIdGenerator(start = 1): () => string {
  let n = start;
  return () => (n++).toString(16).padStart(17, '0');
}
