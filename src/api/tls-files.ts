// The certificate and key `--tls-cert FILE --tls-key FILE` name, read and checked before anything
// else starts (a bad file must not cost a seeded store or a taken lock), and again on SIGHUP. Each
// problem is one message naming the file, so the operator knows which of the two to fix.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** TLS 1.0 and 1.1 are deprecated (RFC 8996). */
export const TLS_MIN_VERSION = 'TLSv1.2';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial extends TlsFiles {
  /** PEM: the certificate, then any intermediates */
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A certificate or key file that cannot serve; the message names the file. */
export class TlsFilesError extends Error {
  override readonly name = 'TlsFilesError';
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new TlsFilesError(`${file}: cannot read the TLS ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads and checks both files: a PEM certificate, a PEM private key, and that the key is the certificate's. */
export function loadTlsFiles(files: TlsFiles): TlsMaterial {
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsFilesError(`${files.certFile}: not a PEM certificate (--tls-cert)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFilesError(`${files.keyFile}: not an unencrypted PEM private key (--tls-key)`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFilesError(`${files.keyFile}: this key does not match the certificate in ${files.certFile}`);
  }
  return { ...files, cert, key };
}
