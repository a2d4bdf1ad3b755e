import { describe, expect, it } from 'vitest';
import { parseCidr, parseAddress } from '../../src/model/cidr.js';
import { parseProtocol } from '../../src/model/protocol.js';
import { parsePorts } from '../../src/model/ports.js';
import { checkGroupDescription, checkGroupName, checkRuleDescription } from '../../src/model/names.js';
import { countingIdGenerator, isResourceId } from '../../src/model/ids.js';
import { parseConntrackSpec } from '../../src/model/conntrack-spec.js';
import { Ec2Error } from '../../src/model/ec2-error.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof Ec2Error) return e.code;
    throw e;
  }
  return undefined;
}

describe('CIDR blocks are taken as EC2 takes them', () => {
  it('accepts IPv4 and IPv6 networks and hosts written as /32 and /128', () => {
    expect(parseCidr('203.0.113.0/24')).toEqual({ family: 4, text: '203.0.113.0/24' });
    expect(parseCidr('203.0.113.1/32').text).toBe('203.0.113.1/32');
    expect(parseCidr('2001:DB8:1234:1a00::/64')).toEqual({ family: 6, text: '2001:db8:1234:1a00::/64' });
    expect(parseCidr('2001:db8:1234:1a00::123/128').text).toBe('2001:db8:1234:1a00::123/128');
    expect(parseCidr('0.0.0.0/0').text).toBe('0.0.0.0/0');
    expect(parseCidr('::/0').family).toBe(6);
  });

  it('refuses host bits set with EC2 wording', () => {
    expect(() => parseCidr('10.0.0.1/24')).toThrow('CIDR block 10.0.0.1/24 is malformed');
    expect(codeOf(() => parseCidr('10.10.1.44/27'))).toBe('InvalidParameterValue');
    expect(codeOf(() => parseCidr('2001:db8::1/64'))).toBe('InvalidParameterValue');
  });

  it('refuses things that are not CIDRs, and the wrong family where one is required', () => {
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.1/8', '010.0.0.0/8', 'x/8', '::/129', '10.0.0.0/-1', '']) {
      expect(codeOf(() => parseCidr(bad)), bad).toBe('InvalidParameterValue');
    }
    expect(() => parseCidr('::/0', 4)).toThrow('CIDR block ::/0 is malformed');
    expect(() => parseCidr('0.0.0.0/0', 6)).toThrow(/malformed/);
  });

  it('parses single addresses for interfaces', () => {
    expect(parseAddress('10.0.0.5', 4)).toBe('10.0.0.5');
    expect(parseAddress('10.5', 4)).toBeUndefined();
    expect(parseAddress('2001:DB8::5', 6)).toBe('2001:db8::5');
    expect(parseAddress('10.0.0.5', 6)).toBeUndefined();
  });
});

describe('protocols: names, numbers and -1 for all', () => {
  it('maps names in any case and numbers, printing the four named ones by name', () => {
    expect(parseProtocol('TCP')).toEqual({ number: 6, text: 'tcp' });
    expect(parseProtocol('udp')).toEqual({ number: 17, text: 'udp' });
    expect(parseProtocol('Icmp')).toEqual({ number: 1, text: 'icmp' });
    expect(parseProtocol('icmpv6')).toEqual({ number: 58, text: 'icmpv6' });
    expect(parseProtocol('6')).toEqual({ number: 6, text: 'tcp' });
    expect(parseProtocol('50')).toEqual({ number: 50, text: '50' });
    expect(parseProtocol('-1')).toEqual({ number: -1, text: '-1' });
    expect(parseProtocol('0').number).toBe(0);
    expect(parseProtocol('255').number).toBe(255);
  });

  it('refuses unknown protocols', () => {
    expect(() => parseProtocol('256')).toThrow("Invalid value '256' for IP protocol. Unknown protocol.");
    expect(codeOf(() => parseProtocol('sctpx'))).toBe('InvalidParameterValue');
    expect(codeOf(() => parseProtocol('-2'))).toBe('InvalidParameterValue');
  });

  it("refuses what EC2's documented values do not hold: the CLI's 'all', padding, leading zeros, inherited names", () => {
    for (const bad of ['all', ' tcp', 'tcp ', '06', '+6', '6.0', 'toString', '__proto__', 'constructor', '']) {
      expect(() => parseProtocol(bad), bad).toThrow(`Invalid value '${bad}' for IP protocol. Unknown protocol.`);
    }
  });
});

describe('ports and ICMP type/code', () => {
  it('needs a port range for TCP and UDP, within 0-65535 and in order', () => {
    expect(parsePorts(6, 80, 80)).toEqual({ fromPort: 80, toPort: 80 });
    expect(parsePorts(17, 0, 65535)).toEqual({ fromPort: 0, toPort: 65535 });
    expect(codeOf(() => parsePorts(6, undefined, 80))).toBe('MissingParameter');
    expect(codeOf(() => parsePorts(6, 90, 80))).toBe('InvalidParameterValue');
    expect(codeOf(() => parsePorts(6, -1, 80))).toBe('InvalidParameterValue');
    expect(codeOf(() => parsePorts(17, 0, 65536))).toBe('InvalidParameterValue');
    expect(codeOf(() => parsePorts(6, 1.5, 2))).toBe('InvalidParameterValue');
  });

  it('reads ICMP type and code with -1 for any', () => {
    expect(parsePorts(1, 8, 0)).toEqual({ fromPort: 8, toPort: 0 });
    expect(parsePorts(1, 3, -1)).toEqual({ fromPort: 3, toPort: -1 });
    expect(parsePorts(58, undefined, undefined)).toEqual({ fromPort: -1, toPort: -1 });
    expect(codeOf(() => parsePorts(1, -1, 4))).toBe('InvalidParameterValue');
    expect(codeOf(() => parsePorts(1, 256, 0))).toBe('InvalidParameterValue');
  });

  it('ignores ports for all protocols and protocols without ports', () => {
    expect(parsePorts(-1, 22, 22)).toEqual({ fromPort: -1, toPort: -1 });
    expect(parsePorts(50, undefined, undefined)).toEqual({ fromPort: -1, toPort: -1 });
  });
});

describe('group names and descriptions (seed 001)', () => {
  it('allows up to 255 characters of the allowed set', () => {
    expect(checkGroupName('web-servers (prod) #1 a.b_c:d/e,f@g[h]+i=j&k;l{m}n!o$p*')).toMatch(/^web/);
    expect(checkGroupName('x'.repeat(255))).toHaveLength(255);
    expect(codeOf(() => checkGroupName('x'.repeat(256)))).toBe('InvalidParameterValue');
    expect(codeOf(() => checkGroupName('web%'))).toBe('InvalidParameterValue');
    expect(codeOf(() => checkGroupName('ünïcode'))).toBe('InvalidParameterValue');
    expect(checkGroupDescription('Web & app')).toBe('Web & app');
    expect(codeOf(() => checkGroupDescription('a'.repeat(256)))).toBe('InvalidParameterValue');
    expect(codeOf(() => checkGroupDescription(''))).toBe('MissingParameter');
  });

  it('refuses names starting with sg-', () => {
    expect(() => checkGroupName('sg-web')).toThrow(/may not be in the format sg-\*/);
    expect(codeOf(() => checkGroupName('SG-web'))).toBe('InvalidParameterValue');
  });

  it('rule descriptions use the set without &, and empty means none', () => {
    expect(checkRuleDescription('SSH from office')).toBe('SSH from office');
    expect(checkRuleDescription('')).toBeUndefined();
    expect(codeOf(() => checkRuleDescription('a & b'))).toBe('InvalidParameterValue');
  });
});

describe('resource ids', () => {
  it('accept 17-hex and old 8-hex ids and nothing else', () => {
    expect(isResourceId('sg', 'sg-0123456789abcdef0')).toBe(true);
    expect(isResourceId('sg', 'sg-51530134')).toBe(true);
    expect(isResourceId('sg', 'sg-1234')).toBe(false);
    expect(isResourceId('sg', 'sg-0123456789ABCDEF0')).toBe(false);
    expect(isResourceId('sgr', 'sgr-0123456789abcdef0')).toBe(true);
    expect(isResourceId('pl', 'pl-1a2b3c4d')).toBe(true);
    expect(isResourceId('eni', 'sg-1a2b3c4d')).toBe(false);
  });

  it('counting generator gives 17 hex digits', () => {
    const next = countingIdGenerator();
    expect(next()).toBe('00000000000000001');
    expect(next()).toBe('00000000000000002');
  });
});

describe('connection tracking timeouts', () => {
  it('defaults to EC2 defaults and checks EC2 ranges', () => {
    expect(parseConntrackSpec(undefined)).toEqual({ tcpEstablished: 432000, udpStream: 180, udp: 30 });
    expect(parseConntrackSpec({ TcpEstablishedTimeout: 60, UdpTimeout: 60 })).toEqual({ tcpEstablished: 60, udpStream: 180, udp: 60 });
    expect(codeOf(() => parseConntrackSpec({ TcpEstablishedTimeout: 59 }))).toBe('InvalidParameterValue');
    expect(codeOf(() => parseConntrackSpec({ TcpEstablishedTimeout: 432001 }))).toBe('InvalidParameterValue');
    expect(codeOf(() => parseConntrackSpec({ UdpStreamTimeout: 181 }))).toBe('InvalidParameterValue');
    expect(codeOf(() => parseConntrackSpec({ UdpTimeout: 29 }))).toBe('InvalidParameterValue');
  });
});

describe('VPC ids are namespaces of any hex length', () => {
  it('accepts vpc-1 and vpc-12345 and refuses ids that are not hex', async () => {
    const { isResourceId } = await import('../../src/model/ids.js');
    expect(isResourceId('vpc', 'vpc-1')).toBe(true);
    expect(isResourceId('vpc', 'vpc-12345')).toBe(true);
    expect(isResourceId('vpc', 'vpc-0a1b2c3d4e5f60718')).toBe(true);
    expect(isResourceId('vpc', 'vpc-nope')).toBe(false);
    expect(isResourceId('vpc', 'vpc-')).toBe(false);
  });
});
