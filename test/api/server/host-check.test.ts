// A request signed for another endpoint (another sgfw sharing the keys, or one captured on its way
// there) must not run here: the server answers only to its own Host names (server-hosts.ts).
import { hostname } from 'node:os';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../src/api/credentials.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { ApiHostError, hostCheck, parseApiHost } from '../../../src/api/server-hosts.js';
import { SecurityGroupService } from '../../../src/control/service.js';
import { sdkFailure as failure } from './sdk-failure.js';

const credentials = { accessKeyId: 'AKIAQWERTYUIOPASDFGH', secretAccessKey: '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' };

describe('hostCheck: the names a server answers to', () => {
  it('on a loopback address: that address and localhost, at the listen port only', () => {
    const check = hostCheck('127.0.0.1', 8080);
    expect(check.accepts('127.0.0.1:8080', '127.0.0.1')).toBe(true);
    expect(check.accepts('LOCALHOST:8080', '127.0.0.1')).toBe(true);
    expect(check.accepts('127.0.0.1:8081', '127.0.0.1')).toBe(false);
    expect(check.accepts('127.0.0.1', '127.0.0.1')).toBe(false);
    expect(check.accepts('10.0.0.5:8080', '127.0.0.1')).toBe(false);
    expect(check.accepts(`${hostname()}:8080`, '127.0.0.1')).toBe(false);
    expect(check.accepts(undefined, '127.0.0.1')).toBe(false);
    expect(check.accepts('', '127.0.0.1')).toBe(false);
  });

  it('IPv6 in any spelling the URL parser normalizes; no localhost on a non-loopback address', () => {
    const v6 = hostCheck('::1', 8080);
    expect(v6.accepts('[::1]:8080', '::1')).toBe(true);
    expect(v6.accepts('[0:0:0:0:0:0:0:1]:8080', '::1')).toBe(true);
    expect(v6.accepts('localhost:8080', '::1')).toBe(true);
    const lan = hostCheck('10.0.0.5', 8080);
    expect(lan.accepts('10.0.0.5:8080', '10.0.0.5')).toBe(true);
    expect(lan.accepts('localhost:8080', '10.0.0.5')).toBe(false);
  });

  it('on a wildcard: the address each request arrived at, localhost and the host name', () => {
    for (const wildcard of ['0.0.0.0', '::']) {
      const check = hostCheck(wildcard, 8080);
      expect(check.accepts('10.0.0.5:8080', '10.0.0.5')).toBe(true);
      expect(check.accepts('10.0.0.5:8080', '::ffff:10.0.0.5')).toBe(true);
      expect(check.accepts('[fd00::5]:8080', 'fd00::5')).toBe(true);
      expect(check.accepts('localhost:8080', '10.0.0.5')).toBe(true);
      expect(check.accepts(`${hostname()}:8080`, '10.0.0.5')).toBe(true);
      // another machine's address: a request signed for it, replayed here
      expect(check.accepts('10.0.0.6:8080', '10.0.0.5')).toBe(false);
      expect(check.accepts('10.0.0.5:9090', '10.0.0.5')).toBe(false);
    }
  });

  it('--api-host NAME answers with no port (a proxy on 80/443) or the listen port; NAME:PORT exactly', () => {
    const check = hostCheck('127.0.0.1', 8080, [parseApiHost('sgfw.example.com'), parseApiHost('proxy.example:8443')]);
    expect(check.accepts('sgfw.example.com', '127.0.0.1')).toBe(true);
    expect(check.accepts('sgfw.example.com:443', '127.0.0.1')).toBe(true);
    expect(check.accepts('SGFW.example.com:8080', '127.0.0.1')).toBe(true);
    expect(check.accepts('sgfw.example.com:9000', '127.0.0.1')).toBe(false);
    expect(check.accepts('proxy.example:8443', '127.0.0.1')).toBe(true);
    expect(check.accepts('proxy.example', '127.0.0.1')).toBe(false);
    expect(check.accepts('proxy.example:8080', '127.0.0.1')).toBe(false);
    expect(check.accepts('other.example.com', '127.0.0.1')).toBe(false);
    // the URL parser must not be talked into another host by user info or a path
    expect(check.accepts('evil@sgfw.example.com', '127.0.0.1')).toBe(false);
    expect(check.accepts('sgfw.example.com/x', '127.0.0.1')).toBe(false);
  });

  it('--api-host refuses what is not NAME[:PORT], naming the value', () => {
    for (const bad of ['', 'a b', 'user@host', 'host:99999', 'http://host', 'host/path']) {
      expect(() => parseApiHost(bad)).toThrow(ApiHostError);
    }
    expect(() => parseApiHost('host:x')).toThrow("--api-host expects NAME[:PORT], got 'host:x'");
    expect(parseApiHost('[::1]:9000')).toEqual({ name: '[::1]', port: 9000 });
  });
});

describe('the server refuses a request signed for another Host, before it looks at the key', () => {
  let server: ApiServer;
  let service: SecurityGroupService;
  beforeAll(async () => {
    service = new SecurityGroupService({ accountId: '111122223333' });
    server = await startApiServer({
      service,
      credentials: staticCredentials([credentials]),
      listen: { host: '127.0.0.1', port: 0 },
      hostNames: [parseApiHost('sgfw.example.com')],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  /** The real SDK, connecting to the server but signing (and sending) `host` as the Host header. */
  function clientFor(host: string, secretAccessKey = credentials.secretAccessKey, accessKeyId = credentials.accessKeyId): EC2Client {
    const ec2 = new EC2Client({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
    // The build step runs before the signer (finalizeRequest), so the signature covers this Host.
    ec2.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers.host = host;
        return next(args);
      },
      { step: 'build', name: 'forceHost' },
    );
    return ec2;
  }

  it('answers the listen address, localhost and --api-host', async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'sgfw.example.com', `sgfw.example.com:${server.port}`]) {
      const out = await clientFor(host).send(new DescribeSecurityGroupsCommand({}));
      expect(out.SecurityGroups).toEqual([]);
    }
  });

  it('refuses another Host with InvalidHttpRequest (400), and changes nothing', async () => {
    const before = service.version;
    const err = await failure(clientFor(`10.9.9.9:${server.port}`).send(new CreateSecurityGroupCommand({ GroupName: 'replayed', Description: 'x' })));
    expect(err).toMatchObject({ name: 'InvalidHttpRequest', status: 400 });
    expect(err.message).toContain(`'10.9.9.9:${server.port}'`);
    expect(service.version).toBe(before);
  });

  it('says the same whether the key exists, or the signature is good', async () => {
    const host = `sgfw.example.com:${server.port + 1}`;
    const good = await failure(clientFor(host).send(new DescribeSecurityGroupsCommand({})));
    const badSecret = await failure(clientFor(host, 'x'.repeat(40)).send(new DescribeSecurityGroupsCommand({})));
    const unknownKey = await failure(clientFor(host, credentials.secretAccessKey, 'AKIAAAAAAAAAAAAAAAAA').send(new DescribeSecurityGroupsCommand({})));
    for (const err of [good, badSecret, unknownKey]) expect(err).toEqual({ name: 'InvalidHttpRequest', status: 400, message: good.message });
  });
});
