// How a server or agent gets into etcd beyond the URL: `--store-ca FILE` (the CA that signs the
// members' certificates; the system's CAs without it), `--store-cert FILE --store-key FILE` (mutual
// TLS: etcd's --client-cert-auth, where the certificate's CN is the etcd user unless a password logs
// in) and `--store-user NAME` with its password from `--store-password-file FILE` or
// SGFW_STORE_PASSWORD (never a flag's value: those show in `ps`). Every file is read and checked at
// start-up, so a missing, empty, non-PEM or expired one stops the start with one line naming the
// flag and the file rather than a vague handshake failure later.
//
// TLS flags with etcd:// are refused rather than taken to mean TLS: the URL says what goes on the
// wire, and a configuration that reads as TLS must not be plain text. A user with etcd:// is refused
// too: the password would cross the network in the clear.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StoreUrlError, type StoreTls, type StoreUrl } from './store-url.js';

export interface StoreAccessFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly user?: string;
  readonly passwordFile?: string;
  /** the password itself, from SGFW_STORE_PASSWORD */
  readonly password?: string;
}

/** A file of the --store-* flags that cannot be used: one line naming the flag and the file. */
export class StoreAccessError extends Error {
  override readonly name = 'StoreAccessError';
}

/** TLS web client authentication, the extended key usage etcd asks of a client certificate that lists any. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** etcd user names: no spaces or control characters (etcdctl takes `user:password`, so no ':' either) */
const USER = /^[^\s:\x00-\x1f\x7f]{1,128}$/;

/**
 * `url` with the TLS material and the user the flags name, each file read and checked. Throws
 * StoreUrlError for flags that do not go together, StoreAccessError for a file that cannot serve.
 */
export function withStoreAccess(url: StoreUrl, access: StoreAccessFiles, now: Date = new Date()): StoreUrl {
  const { caFile, certFile, keyFile, user, passwordFile, password } = access;
  const tlsFlags = [caFile !== undefined && '--store-ca', certFile !== undefined && '--store-cert', keyFile !== undefined && '--store-key'].filter((f): f is string => f !== false);
  if (url.tls === undefined && tlsFlags.length > 0) {
    throw new StoreUrlError(`${tlsFlags.join(', ')} ${tlsFlags.length > 1 ? 'are' : 'is'} for TLS: write the store as etcds://… (etcd:// is plain HTTP)`);
  }
  if ((certFile === undefined) !== (keyFile === undefined)) throw new StoreUrlError('--store-cert and --store-key go together (mutual TLS needs the certificate and its key)');
  if (user === undefined) {
    if (passwordFile !== undefined) throw new StoreUrlError('--store-password-file goes with --store-user NAME');
    if (password !== undefined) throw new StoreUrlError('SGFW_STORE_PASSWORD is set but --store-user is not: name the etcd user, or unset it');
  } else {
    if (!USER.test(user)) throw new StoreUrlError(`--store-user expects an etcd user name (no spaces or ':'), got '${user}'`);
    if (url.tls === undefined) throw new StoreUrlError('--store-user over etcd:// would send the password in the clear: use etcds://');
    if (passwordFile !== undefined && password !== undefined) throw new StoreUrlError('--store-password-file and SGFW_STORE_PASSWORD both give the password: keep one');
    if (passwordFile === undefined && password === undefined) throw new StoreUrlError(`--store-user ${user} needs its password: --store-password-file FILE or SGFW_STORE_PASSWORD`);
  }
  if (url.tls === undefined) return url;
  const tls: { -readonly [K in keyof StoreTls]: StoreTls[K] } = { ...url.tls };
  if (caFile !== undefined) tls.ca = readCa(caFile, now);
  if (certFile !== undefined && keyFile !== undefined) Object.assign(tls, readClientCertificate(certFile, keyFile, now));
  const withTls: StoreUrl = { ...url, tls };
  if (user === undefined) return withTls;
  return { ...withTls, auth: { user, password: passwordFile === undefined ? checkedPassword(password!, 'SGFW_STORE_PASSWORD') : readPassword(passwordFile) } };
}

function read(flag: string, file: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StoreAccessError(`${flag} ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message})`);
  }
  if (data.length === 0) throw new StoreAccessError(`${flag} ${file}: the file is empty`);
  return data;
}

/** One or more PEM certificates, every one of them parsable. */
function certificates(flag: string, file: string, data: Buffer): X509Certificate[] {
  const blocks = data.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new StoreAccessError(`${flag} ${file}: not a PEM certificate (no -----BEGIN CERTIFICATE----- block)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new StoreAccessError(`${flag} ${file}: certificate ${i + 1} of ${blocks.length} is not a valid PEM certificate`);
    }
  });
}

/** One or more CA certificates, not all of them expired (then nothing could verify the members). */
function readCa(file: string, now: Date): Buffer {
  const data = read('--store-ca', file);
  const cas = certificates('--store-ca', file, data);
  const ends = cas.map((c) => new Date(c.validTo).getTime());
  if (ends.every((t) => t < now.getTime())) {
    const last = new Date(Math.max(...ends)).toISOString();
    throw new StoreAccessError(`--store-ca ${file}: ${cas.length > 1 ? `all ${cas.length} certificates expired, the last` : 'the certificate expired'} on ${last}`);
  }
  return data;
}

function readClientCertificate(certFile: string, keyFile: string, now: Date): { cert: Buffer; key: Buffer } {
  const cert = read('--store-cert', certFile);
  const key = read('--store-key', keyFile);
  const [leaf] = certificates('--store-cert', certFile, cert) as [X509Certificate];
  const notAfter = new Date(leaf.validTo);
  const notBefore = new Date(leaf.validFrom);
  if (notAfter.getTime() < now.getTime()) throw new StoreAccessError(`--store-cert ${certFile}: the certificate expired on ${notAfter.toISOString()}`);
  if (notBefore.getTime() > now.getTime()) throw new StoreAccessError(`--store-cert ${certFile}: the certificate is not valid before ${notBefore.toISOString()}`);
  const usages = leaf.keyUsage; // the extended key usages, undefined when the certificate lists none
  if (usages !== undefined && usages.length > 0 && !usages.includes(CLIENT_AUTH)) {
    throw new StoreAccessError(`--store-cert ${certFile}: the certificate is not for client authentication (its extended key usage lacks clientAuth)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new StoreAccessError(`--store-key ${keyFile}: not an unencrypted PEM private key`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new StoreAccessError(`--store-key ${keyFile}: this key does not match the certificate in ${certFile}`);
  return { cert, key };
}

function readPassword(file: string): string {
  return checkedPassword(read('--store-password-file', file).toString('utf8'), `--store-password-file ${file}`);
}

/** The password without one trailing newline; an empty one or one of several lines is refused. */
function checkedPassword(text: string, where: string): string {
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new StoreAccessError(`${where}: the password is empty`);
  if (/[\r\n]/.test(password)) throw new StoreAccessError(`${where}: the password must be one line`);
  return password;
}

/** How long before a client certificate expires sgfw starts saying so. */
export const CERT_EXPIRY_WARNING_DAYS = 30;

/**
 * When the client certificate (--store-cert) expires within CERT_EXPIRY_WARNING_DAYS: its end date
 * and the days left, for a warning at start (etcd refuses it from that date on, and sgfw reads it
 * only at start: a renewed one takes a restart).
 */
export function clientCertificateExpiry(store: StoreUrl, now: Date = new Date()): { notAfter: string; days: number } | undefined {
  if (store.tls?.cert === undefined) return undefined;
  const notAfter = new Date(new X509Certificate(store.tls.cert).validTo);
  const days = (notAfter.getTime() - now.getTime()) / 86_400_000;
  return days <= CERT_EXPIRY_WARNING_DAYS ? { notAfter: notAfter.toISOString(), days: Math.floor(days * 10) / 10 } : undefined;
}
