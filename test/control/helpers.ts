import { SecurityGroupService } from '../../src/control/service.js';
import { countingIdGenerator } from '../../src/model/ids.js';
import { Ec2Error } from '../../src/model/ec2-error.js';
import type { Limits } from '../../src/control/service.js';

export const VPC = 'vpc-0a1b2c3d4e5f60718';
export const OTHER_VPC = 'vpc-0c1d2e3f405162738';

export function newService(limits?: Partial<Limits>): SecurityGroupService {
  return new SecurityGroupService({ idGenerator: countingIdGenerator(), ...(limits ? { limits } : {}) });
}

/** The Ec2Error `fn` throws (fails the test when it throws nothing or something else). */
export function ec2Error(fn: () => unknown): Ec2Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Ec2Error) return e;
    throw e;
  }
  throw new Error('expected an Ec2Error, but the call succeeded');
}

export function tcp(port: number, cidr: string, extra: Record<string, unknown> = {}) {
  return { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr, ...extra }] };
}
