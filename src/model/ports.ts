// FromPort/ToPort as EC2 reads them for each protocol (RuleView's comment): TCP/UDP a port range
// 0-65535 (both required); ICMP/ICMPv6 FromPort is the type and ToPort the code, -1 meaning any;
// -1 and other protocols carry no ports, and EC2 ignores any given (stored as -1/-1).
import { Ec2Error, Ec2PathError } from './ec2-error.js';
import { Ec2Errors } from './errors.js';
import { hasPorts, isIcmp } from './protocol.js';

export interface PortRange {
  readonly fromPort: number;
  readonly toPort: number;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function parsePorts(protocol: number, fromPort: unknown, toPort: unknown, pathOf?: (field: 'FromPort' | 'ToPort') => string): PortRange {
  // an error about one of the two fields names it, for a state file's `…IpPermissions[1].FromPort: …`
  const at = (field: 'FromPort' | 'ToPort', e: Ec2Error): Ec2Error => (pathOf === undefined ? e : new Ec2PathError(e, pathOf(field)));
  if (hasPorts(protocol)) {
    if (fromPort === undefined) throw at('FromPort', Ec2Errors.missingParameter('FromPort'));
    if (toPort === undefined) throw at('ToPort', Ec2Errors.missingParameter('ToPort'));
    if (!isInt(fromPort) || fromPort < 0 || fromPort > 65535) throw at('FromPort', Ec2Errors.invalidPort('fromPort', fromPort, 'between 0 and 65535'));
    if (!isInt(toPort) || toPort < 0 || toPort > 65535) throw at('ToPort', Ec2Errors.invalidPort('toPort', toPort, 'between 0 and 65535'));
    if (fromPort > toPort) throw Ec2Errors.invalidPortRange(fromPort, toPort);
    return { fromPort, toPort };
  }
  if (isIcmp(protocol)) {
    // The AWS CLI's `--protocol icmp` without `--port` sends no ports and means any type.
    const type = fromPort ?? -1;
    const code = toPort ?? -1;
    if (!isInt(type) || type < -1 || type > 255) throw at('FromPort', Ec2Errors.invalidPort('ICMP type', type, 'between -1 and 255'));
    if (!isInt(code) || code < -1 || code > 255) throw at('ToPort', Ec2Errors.invalidPort('ICMP code', code, 'between -1 and 255'));
    if (type === -1 && code !== -1) {
      throw Ec2Errors.invalidIcmp(`Invalid ICMP code ${code}: a code needs a specific ICMP type, not -1.`);
    }
    return { fromPort: type, toPort: code };
  }
  return { fromPort: -1, toPort: -1 };
}
