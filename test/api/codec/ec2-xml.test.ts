import { describe, expect, it } from 'vitest';
import { EC2_XML_NAMESPACE, renderXmlError, renderXmlResponse, xmlEscape } from '../../../src/api/ec2-xml.js';
import { runBotocore, skipBotocore } from './botocore.js';

const tricky = `a<b>&"c"'d'`;
const group = {
  Description: tricky, GroupName: 'g', OwnerId: '123456789012', GroupId: 'sg-1', VpcId: 'vpc-1',
  IpPermissions: [{
    IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: tricky }], Ipv6Ranges: [],
    PrefixListIds: [], UserIdGroupPairs: [{ GroupId: 'sg-2', UserId: '123456789012' }],
  }],
  IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
  Tags: [{ Key: 'k', Value: '' }],
};

describe('responses are EC2 XML documents', () => {
  it('wraps the fields in {Action}Response with the EC2 namespace and the request id', () => {
    const xml = renderXmlResponse('CreateSecurityGroup', { GroupId: 'sg-1' }, 'r&1');
    expect(xml).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<CreateSecurityGroupResponse xmlns="${EC2_XML_NAMESPACE}"><requestId>r&amp;1</requestId><groupId>sg-1</groupId></CreateSecurityGroupResponse>`);
  });

  it('prints lists as item elements, empty ones as empty elements, under EC2\'s element names', () => {
    const xml = renderXmlResponse('DescribeSecurityGroups', { SecurityGroups: [group] }, 'r');
    expect(xml).toContain(
      '<securityGroupInfo><item><ownerId>123456789012</ownerId><groupId>sg-1</groupId><groupName>g</groupName>' +
        '<groupDescription>a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;</groupDescription><vpcId>vpc-1</vpcId><ipPermissions>',
    );
    expect(xml).toContain('<ipRanges><item><cidrIp>10.0.0.0/8</cidrIp><description>a&lt;b&gt;');
    expect(xml).toContain('<groups><item><userId>123456789012</userId><groupId>sg-2</groupId></item></groups>');
    expect(xml).toContain('<ipv6Ranges/>');
    expect(xml).toContain('<tagSet><item><key>k</key><value/></item></tagSet>');
    expect(xml).not.toContain('UserIdGroupPairs');
  });

  it('leaves out fields EC2 does not have rather than inventing element names', () => {
    const xml = renderXmlResponse('DescribeSecurityGroupRules', {
      SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-1', GroupId: 'sg-1', IsEgress: false, IpProtocol: 'tcp', FromPort: 1, ToPort: 2, Stale: true }],
    }, 'r');
    expect(xml).toContain('<isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>1</fromPort>');
    expect(xml).not.toMatch(/stale/i);
  });

  it('answers <return>true</return> for an action whose result is empty, as EC2 does', () => {
    expect(renderXmlResponse('ModifyNetworkInterfaceAttribute', {}, 'r')).toContain('<requestId>r</requestId><return>true</return></ModifyNetworkInterfaceAttributeResponse>');
  });

  it('prints sgfw\'s registered interface in DescribeNetworkInterfaces\' item shape', () => {
    const xml = renderXmlResponse('RegisterNetworkInterface', {
      NetworkInterface: {
        NetworkInterfaceId: 'eni-1', VpcId: 'vpc-1', PrivateIpAddress: '10.0.0.5',
        PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5', Primary: true }], Ipv6Addresses: [], Groups: [{ GroupId: 'sg-1', GroupName: 'web' }],
        ConnectionTrackingConfiguration: { TcpEstablishedTimeout: 432000, UdpStreamTimeout: 180, UdpTimeout: 30 },
      },
    }, 'r');
    expect(xml).toContain('<networkInterface><connectionTrackingConfiguration><tcpEstablishedTimeout>432000</tcpEstablishedTimeout>');
    expect(xml).toContain('<groupSet><item><groupId>sg-1</groupId><groupName>web</groupName></item></groupSet>');
    expect(xml).toContain('<privateIpAddressesSet><item><primary>true</primary><privateIpAddress>10.0.0.5</privateIpAddress></item></privateIpAddressesSet>');
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape('<a href="x">&\u0001</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});

describe('errors are EC2 error documents', () => {
  it('has Response/Errors/Error with Code and Message, and RequestID', () => {
    expect(renderXmlError('InvalidGroup.NotFound', "The security group 'sg-1' does not exist", 'r1')).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group &apos;sg-1&apos; does not exist</Message></Error></Errors><RequestID>r1</RequestID></Response>`,
    );
  });
});

describe.skipIf(skipBotocore)('botocore reads our XML as the AWS CLI would', () => {
  it('reads a described group back field for field, escapes included, and an error\'s code and message', () => {
    const [described, failed] = runBotocore([
      { kind: 'parse', operation: 'DescribeSecurityGroups', body: renderXmlResponse('DescribeSecurityGroups', { SecurityGroups: [group] }, 'r'), status: 200, dropMetadata: true },
      { kind: 'parse', operation: 'CreateSecurityGroup', body: renderXmlError('InvalidParameterValue', tricky, 'r2'), status: 400 },
    ]) as { parsed: Record<string, unknown> }[];
    const parsed = described!.parsed;
    const error = failed!.parsed;
    expect(parsed).toEqual({ SecurityGroups: [group] });
    expect(error!.Error).toEqual({ Code: 'InvalidParameterValue', Message: tricky });
    expect((error!.ResponseMetadata as { RequestId: string; HTTPStatusCode: number })).toMatchObject({ RequestId: 'r2', HTTPStatusCode: 400 });
  }, 30_000);
});
