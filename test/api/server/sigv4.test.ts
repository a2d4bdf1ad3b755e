import { describe, expect, it } from 'vitest';
import { AuthFailure, verifySigV4, type IncomingSignedRequest } from '../../../src/api/sigv4.js';
import { canonicalQuery, canonicalRequest, canonicalUri, headerMap, sha256Hex, signature, signingKey, stringToSign } from '../../../src/api/sigv4-canonical.js';
import { botocoreSign } from './botocore-sign.js';

// The AWS SigV4 test suite (aws-sig-v4-test-suite): credentials, clock and host of every example.
const SUITE_KEY = 'AKIDEXAMPLE';
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const SUITE_HEADERS = ['Host', 'example.amazonaws.com', 'X-Amz-Date', '20150830T123600Z'];

function suiteRequest(method: string, url: string, sig: string): IncomingSignedRequest {
  const auth = `AWS4-HMAC-SHA256 Credential=${SUITE_KEY}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`;
  return { method, url, rawHeaders: [...SUITE_HEADERS, 'Authorization', auth], body: Buffer.alloc(0) };
}

const suiteOptions = { secretFor: (id: string) => (id === SUITE_KEY ? SUITE_SECRET : undefined), services: ['service'], now: SUITE_NOW };

function refusal(fn: () => unknown): AuthFailure {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthFailure);
    const failure = e as AuthFailure;
    expect(failure.code).toBe('AuthFailure');
    expect(failure.httpStatus).toBe(401);
    expect(failure.message).toBe('AWS was not able to validate the provided access credentials');
    return failure;
  }
  throw new Error('the request was accepted');
}

describe('the canonical request follows the AWS SigV4 test suite', () => {
  it('builds get-vanilla step by step to the published signature', () => {
    const canonical = canonicalRequest({
      method: 'GET',
      path: '/',
      query: [],
      headers: headerMap(SUITE_HEADERS),
      signedHeaders: ['host', 'x-amz-date'],
      payloadHash: sha256Hex(''),
    });
    expect(canonical).toBe('GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const toSign = stringToSign('20150830T123600Z', '20150830/us-east-1/service/aws4_request', canonical);
    expect(toSign.split('\n')[3]).toBe('bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
    expect(signature(signingKey(SUITE_SECRET, '20150830', 'us-east-1', 'service'), toSign)).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('encodes paths and sorts queries as the spec says', () => {
    expect(canonicalUri('/example space/')).toBe('/example%20space/');
    expect(canonicalUri('/%E1%88%B4')).toBe('/%E1%88%B4');
    expect(canonicalUri('/example/..//./x')).toBe('/x');
    expect(canonicalQuery([['Param2', 'value2'], ['Param1', 'value1'], ['a', 'b c'], ['a', 'a~*']])).toBe('Param1=value1&Param2=value2&a=a~%2A&a=b%20c');
  });

  it('trims and collapses header values, joining repeated headers', () => {
    expect(headerMap(['My-Header1', '  value1  ', 'my-header1', 'a   b   c']).get('my-header1')).toBe('value1,a b c');
  });
});

describe('a request signed as in the AWS test suite is accepted', () => {
  const vectors: [string, string, string, string][] = [
    ['get-vanilla', 'GET', '/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['get-vanilla-query-order-key-case', 'GET', '/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['get-utf8', 'GET', '/%E1%88%B4', '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85'],
    ['post-vanilla', 'POST', '/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
  ];
  for (const [name, method, url, sig] of vectors) {
    it(name, () => {
      expect(verifySigV4(suiteRequest(method, url, sig), suiteOptions)).toEqual({ accessKeyId: SUITE_KEY, region: 'us-east-1', service: 'service', presigned: false });
    });
  }

  it('but not once a single character of the request changes', () => {
    const [, , , sig] = vectors[1];
    refusal(() => verifySigV4(suiteRequest('GET', '/?Param2=value2&Param1=value0', sig), suiteOptions));
    refusal(() => verifySigV4(suiteRequest('POST', '/', vectors[0][3]), suiteOptions));
  });
});

describe('requests signed by botocore (the aws CLI and boto3) are verified', () => {
  const key = 'AKIAIOSFODNN7EXAMPLE';
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
  const options = { secretFor: (id: string) => (id === key ? secret : undefined), services: ['ec2', 'sts'] };
  const body = 'Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-0123456789abcdef0&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8&IpPermissions.1.IpRanges.1.Description=a%20b%2Bc';

  function fromBotocore(signed: { url: string; headers: Record<string, string> }, method: string, payload: string): IncomingSignedRequest {
    const u = new URL(signed.url);
    const rawHeaders = ['Host', u.host, ...Object.entries(signed.headers).flat()];
    return { method, url: `${u.pathname}${u.search}`, rawHeaders, body: Buffer.from(payload) };
  }

  it('a POST form signed in the Authorization header, in any region', () => {
    const signed = botocoreSign({
      method: 'POST',
      url: 'http://127.0.0.1:8080/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
      key,
      secret,
      region: 'eu-central-1',
    });
    expect(verifySigV4(fromBotocore(signed, 'POST', body), options)).toEqual({ accessKeyId: key, region: 'eu-central-1', service: 'ec2', presigned: false });
    // the body is signed: changing it breaks the signature
    expect(refusal(() => verifySigV4(fromBotocore(signed, 'POST', body.replace('10.0.0.0', '0.0.0.0')), options)).reason).toMatch(/signature/);
  });

  it('a GET with its parameters in the query, and an STS call', () => {
    const url = 'http://localhost:9999/?Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=group-name&Filter.1.Value.1=web%20tier';
    const signed = botocoreSign({ method: 'GET', url, key, secret });
    expect(verifySigV4(fromBotocore(signed, 'GET', ''), options).service).toBe('ec2');
    const sts = botocoreSign({ method: 'POST', url: 'http://localhost:9999/', body: 'Action=GetCallerIdentity&Version=2011-06-15', key, secret, service: 'sts' });
    expect(verifySigV4(fromBotocore(sts, 'POST', 'Action=GetCallerIdentity&Version=2011-06-15'), options).service).toBe('sts');
  });

  it('a presigned URL, until it expires', () => {
    const url = 'http://127.0.0.1:8080/?Action=DescribeSecurityGroups&Version=2016-11-15';
    const signed = botocoreSign({ method: 'GET', url, key, secret, presignExpires: 60 });
    expect(signed.url).toContain('X-Amz-Signature=');
    expect(verifySigV4(fromBotocore(signed, 'GET', ''), options).presigned).toBe(true);
    const later = Date.now() + 120_000;
    expect(refusal(() => verifySigV4(fromBotocore(signed, 'GET', ''), { ...options, now: later })).reason).toMatch(/expired/);
    const tampered = fromBotocore(signed, 'GET', '');
    tampered.url = tampered.url.replace('DescribeSecurityGroups', 'DeleteSecurityGroup');
    refusal(() => verifySigV4(tampered, options));
  });

  it('refuses a wrong secret, an unknown key, another service and a stale date', () => {
    const signed = botocoreSign({ method: 'POST', url: 'http://127.0.0.1:8080/', body, key, secret });
    const request = fromBotocore(signed, 'POST', body);
    expect(refusal(() => verifySigV4(request, { ...options, secretFor: () => 'x'.repeat(40) })).reason).toMatch(/signature/);
    expect(refusal(() => verifySigV4(request, { ...options, secretFor: () => undefined })).reason).toMatch(/unknown access key/);
    expect(refusal(() => verifySigV4(request, { ...options, services: ['s3'] })).reason).toMatch(/service/);
    expect(refusal(() => verifySigV4(request, { ...options, now: Date.now() + 16 * 60_000 })).reason).toMatch(/stale/);
    expect(refusal(() => verifySigV4(request, { ...options, now: Date.now() - 16 * 60_000 })).reason).toMatch(/future/);
    // within the 15 minutes AWS allows, either way
    expect(verifySigV4(request, { ...options, now: Date.now() + 14 * 60_000 }).accessKeyId).toBe(key);
  });

  it('refuses an unsigned request', () => {
    expect(refusal(() => verifySigV4({ method: 'POST', url: '/', rawHeaders: ['Host', 'x'], body: Buffer.from(body) }, options)).reason).toMatch(/unsigned/);
  });

  it('says why in a machine-readable kind, with the key the request named', () => {
    const signed = botocoreSign({ method: 'POST', url: 'http://127.0.0.1:8080/', body, key, secret });
    const request = fromBotocore(signed, 'POST', body);
    const kindOf = (f: AuthFailure): [string, string | undefined] => [f.kind, f.accessKeyId];
    expect(kindOf(refusal(() => verifySigV4(request, { ...options, secretFor: () => 'x'.repeat(40) })))).toEqual(['bad-signature', key]);
    expect(kindOf(refusal(() => verifySigV4(request, { ...options, secretFor: () => undefined })))).toEqual(['unknown-key', key]);
    expect(kindOf(refusal(() => verifySigV4(request, { ...options, services: ['s3'] })))).toEqual(['wrong-service', key]);
    expect(kindOf(refusal(() => verifySigV4(request, { ...options, now: Date.now() + 16 * 60_000 })))).toEqual(['stale-date', key]);
    expect(kindOf(refusal(() => verifySigV4({ method: 'POST', url: '/', rawHeaders: ['Host', 'x'], body: Buffer.from(body) }, options)))).toEqual(['unsigned', undefined]);
    const noDate = { ...request, rawHeaders: request.rawHeaders.filter((_, i, all) => all[i - (i % 2)].toLowerCase() !== 'x-amz-date') };
    expect(refusal(() => verifySigV4(noDate, options)).kind).toBe('missing-header');
    const garbled = { ...request, rawHeaders: request.rawHeaders.map((v, i, all) => (i % 2 === 1 && all[i - 1].toLowerCase() === 'authorization' ? 'Basic abc' : v)) };
    expect(refusal(() => verifySigV4(garbled, options)).kind).toBe('malformed');
  });
});
