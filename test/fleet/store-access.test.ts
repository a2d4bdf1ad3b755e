// etcds:// and the --store-* files (issue 19): what withStoreAccess reads into the StoreUrl, and the
// one line it refuses each bad file or combination with. Certificates from scripts/etcd-certs.sh.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { clientCertificateExpiry, StoreAccessError, withStoreAccess, type StoreAccessFiles } from '../../src/fleet/store-access.js';
import { parseStoreUrl, StoreUrlError } from '../../src/fleet/store-url.js';

const CERTS_SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'etcd-certs.sh');
let dir = '';
const f = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgfw-store-access-'));
  execFileSync('bash', [CERTS_SCRIPT, dir, '--expired', 'agent', '--other-ca', 'agent'], { timeout: 60_000 });
  // a certificate for servers only: no clientAuth among its extended key usages
  execFileSync('bash', ['-c', `cd ${dir} && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=srv 2>/dev/null &&
    printf 'extendedKeyUsage=serverAuth\\n' > srv.ext && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile srv.ext -out srv.pem 2>/dev/null`]);
  writeFileSync(f('password'), 's3cret\n');
  writeFileSync(f('empty'), '');
  writeFileSync(f('two-lines'), 'a\nb\n');
  writeFileSync(f('not-pem.pem'), 'hello\n');
  writeFileSync(f('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TLS = 'etcds://127.0.0.1:2379,localhost:2380/fleet/';
const access = (files: StoreAccessFiles, url = TLS) => withStoreAccess(parseStoreUrl(url), files);
const refusal = (files: StoreAccessFiles, url = TLS): Error => {
  try {
    access(files, url);
  } catch (e) {
    return e as Error;
  }
  throw new Error('not refused');
};

describe('--store etcds://', () => {
  it('is TLS to every endpoint, with the system CAs until --store-ca names one', () => {
    expect(parseStoreUrl(TLS)).toEqual({ endpoints: ['https://127.0.0.1:2379', 'https://localhost:2380'], prefix: '/fleet/', tls: {} });
    expect(parseStoreUrl('etcd://127.0.0.1:2379').tls).toBeUndefined();
    expect(() => parseStoreUrl('etcdss://h:1')).toThrow(/--store expects etcd:\/\/.*\(or etcds:\/\/ for TLS\)/);
  });

  it('reads the CA, the client certificate and key, and the password (one trailing newline dropped)', () => {
    const s = access({ caFile: f('ca.pem'), certFile: f('agent.pem'), keyFile: f('agent.key'), user: 'agent-h1', passwordFile: f('password') });
    expect(s.tls?.ca?.equals(readFileSync(f('ca.pem')))).toBe(true);
    expect(s.tls?.cert?.equals(readFileSync(f('agent.pem')))).toBe(true);
    expect(s.tls?.key?.equals(readFileSync(f('agent.key')))).toBe(true);
    expect(s.auth).toEqual({ user: 'agent-h1', password: 's3cret' });
    expect(s.endpoints).toEqual(['https://127.0.0.1:2379', 'https://localhost:2380']);
  });

  it('takes the password from SGFW_STORE_PASSWORD, and a CA bundle of several certificates', () => {
    writeFileSync(f('bundle.pem'), Buffer.concat([readFileSync(f('ca.pem')), readFileSync(f('other-ca.pem'))]));
    const s = access({ caFile: f('bundle.pem'), user: 'api', password: 'from-env' });
    expect(s.auth).toEqual({ user: 'api', password: 'from-env' });
    expect(s.tls?.cert).toBeUndefined();
  });

  it('leaves etcd:// and etcds:// without flags as they are', () => {
    expect(access({}, 'etcd://h:1')).toEqual({ endpoints: ['http://h:1'], prefix: '/sgfw/' });
    expect(access({}, 'etcds://h:1')).toEqual({ endpoints: ['https://h:1'], prefix: '/sgfw/', tls: {} });
  });
});

describe('refused, one line naming the flag and the file', () => {
  it.each([
    [{ caFile: '/nonexistent/ca.pem' }, /^--store-ca \/nonexistent\/ca\.pem: cannot read it \(no such file\)$/],
    [{ caFile: '/' }, /^--store-ca \/: cannot read it \(EISDIR\)$/],
    [{ caFile: 'empty' }, /^--store-ca .*empty: the file is empty$/],
    [{ caFile: 'not-pem.pem' }, /^--store-ca .*not-pem\.pem: not a PEM certificate/],
    [{ caFile: 'broken.pem' }, /^--store-ca .*broken\.pem: certificate 1 of 1 is not a valid PEM certificate$/],
    [{ certFile: 'agent.pem', keyFile: 'agent.pem' }, /^--store-key .*agent\.pem: not an unencrypted PEM private key$/],
    [{ certFile: 'agent.key', keyFile: 'agent.key' }, /^--store-cert .*agent\.key: not a PEM certificate/],
    [{ certFile: 'agent.pem', keyFile: 'm0.key' }, /^--store-key .*m0\.key: this key does not match the certificate in .*agent\.pem$/],
    [{ caFile: 'agent-expired.pem' }, /^--store-ca .*agent-expired\.pem: the certificate expired on 2020-01-02T00:00:00\.000Z$/],
    [{ certFile: 'agent-expired.pem', keyFile: 'agent-expired.key' }, /^--store-cert .*agent-expired\.pem: the certificate expired on 2020-01-02T00:00:00\.000Z$/],
    [{ certFile: 'srv.pem', keyFile: 'srv.key' }, /^--store-cert .*srv\.pem: the certificate is not for client authentication/],
    [{ user: 'u', passwordFile: 'empty' }, /^--store-password-file .*empty: the file is empty$/],
    [{ user: 'u', passwordFile: 'two-lines' }, /^--store-password-file .*two-lines: the password must be one line$/],
    [{ user: 'u', password: '\n' }, /^SGFW_STORE_PASSWORD: the password is empty$/],
  ] as [StoreAccessFiles, RegExp][])('%j', (files, message) => {
    const inDir = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, k.endsWith('File') && !v.startsWith('/') ? f(v) : v]));
    const e = refusal(inDir);
    expect(e).toBeInstanceOf(StoreAccessError);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });

  it('the password never appears in a message', () => {
    writeFileSync(f('long-password'), 'hunter2-is-secret\nsecond line\n');
    const e = refusal({ user: 'u', passwordFile: f('long-password') });
    expect(e.message).not.toContain('hunter2');
  });
});

describe('flags that do not go together are usage errors', () => {
  it.each([
    [{ caFile: 'x' }, 'etcd://h:1', '--store-ca is for TLS: write the store as etcds://… (etcd:// is plain HTTP)'],
    [{ certFile: 'x', keyFile: 'y' }, 'etcd://h:1', '--store-cert, --store-key are for TLS: write the store as etcds://… (etcd:// is plain HTTP)'],
    [{ certFile: 'x' }, TLS, '--store-cert and --store-key go together (mutual TLS needs the certificate and its key)'],
    [{ keyFile: 'x' }, TLS, '--store-cert and --store-key go together (mutual TLS needs the certificate and its key)'],
    [{ passwordFile: 'x' }, TLS, '--store-password-file goes with --store-user NAME'],
    [{ password: 'x' }, TLS, 'SGFW_STORE_PASSWORD is set but --store-user is not: name the etcd user, or unset it'],
    [{ user: 'u' }, TLS, '--store-user u needs its password: --store-password-file FILE or SGFW_STORE_PASSWORD'],
    [{ user: 'u', password: 'p', passwordFile: 'x' }, TLS, '--store-password-file and SGFW_STORE_PASSWORD both give the password: keep one'],
    [{ user: 'u', password: 'p' }, 'etcd://h:1', '--store-user over etcd:// would send the password in the clear: use etcds://'],
    [{ user: 'a b', password: 'p' }, TLS, "--store-user expects an etcd user name (no spaces or ':'), got 'a b'"],
  ] as [StoreAccessFiles, string, string][])('%j with %s', (files, url, message) => {
    const e = refusal(files, url);
    expect(e).toBeInstanceOf(StoreUrlError);
    expect(e.message).toBe(message);
  });
});

describe('a client certificate close to its end', () => {
  it('is named with its end date and the days left within 30 days of it, not before', () => {
    const s = access({ certFile: f('agent.pem'), keyFile: f('agent.key') });
    const end = new Date(new X509Certificate(readFileSync(f('agent.pem'))).validTo);
    expect(clientCertificateExpiry(s)).toBeUndefined(); // made today for a year
    expect(clientCertificateExpiry(s, new Date(end.getTime() - 31 * 86_400_000))).toBeUndefined();
    expect(clientCertificateExpiry(s, new Date(end.getTime() - 5.5 * 86_400_000))).toEqual({ notAfter: end.toISOString(), days: 5.5 });
    expect(clientCertificateExpiry(access({}))).toBeUndefined();
  });
});

