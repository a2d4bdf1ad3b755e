// The access keys `sgfw serve` accepts, kept in `<state-dir>/credentials.json` (mode 0600). Written
// atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old file or
// the new one, never half of one.

import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CREDENTIALS_FILE = 'credentials.json';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

interface StoredCredential extends Credential {
  created: string;
}

interface CredentialsDocument {
  version: 1;
  credentials: StoredCredential[];
}

/** A credentials file that cannot be read as one; the message names the file. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;

/** `AKIA` and 16 base32 letters: the shape of an AWS long-term access key id (20 characters). */
function newAccessKeyId(): string {
  let id = 'AKIA';
  for (const b of randomBytes(16)) id += BASE32[b & 31];
  return id;
}

/** 30 random bytes in base64: 40 characters from AWS's secret-key alphabet. */
function newSecret(): string {
  return randomBytes(30).toString('base64');
}

export function credentialsPath(dir: string): string {
  return join(dir, CREDENTIALS_FILE);
}

function parse(text: string, file: string): CredentialsDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CredentialsError(`${file}: not valid JSON (${(e as Error).message}); fix or remove it, then run 'sgfw credentials create'`);
  }
  const d = doc as Partial<CredentialsDocument> | null;
  if (d === null || typeof d !== 'object' || d.version !== 1 || !Array.isArray(d.credentials)) {
    throw new CredentialsError(`${file}: not an sgfw credentials file (expected {"version": 1, "credentials": [...]})`);
  }
  d.credentials.forEach((c, i) => {
    if (typeof c?.accessKeyId !== 'string' || !ACCESS_KEY_ID.test(c.accessKeyId) || typeof c.secretAccessKey !== 'string' || c.secretAccessKey.length === 0) {
      throw new CredentialsError(`${file}: credentials[${i}] is not an access key id (AKIA…) with a secret`);
    }
  });
  return d as CredentialsDocument;
}

async function readDocument(dir: string): Promise<CredentialsDocument> {
  const file = credentialsPath(dir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, credentials: [] };
    throw new CredentialsError(`${file}: cannot read (${(e as Error).message})`);
  }
  return parse(text, file);
}

async function writeAtomically(dir: string, doc: CredentialsDocument): Promise<void> {
  const file = credentialsPath(dir);
  const temp = join(dir, `.${CREDENTIALS_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(doc, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  // The rename is durable only once the directory entry is on disk.
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** The credentials of `dir`; none when the file does not exist yet. Throws CredentialsError. */
export async function loadCredentials(dir: string): Promise<Credential[]> {
  return (await readDocument(dir)).credentials.map(({ accessKeyId, secretAccessKey }) => ({ accessKeyId, secretAccessKey }));
}

/** Makes a new access key, adds it to `dir` (created 0700 if missing) and returns it. */
export async function createCredential(dir: string): Promise<Credential> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const doc = await readDocument(dir);
  const credential = newCredential();
  doc.credentials.push({ ...credential, created: new Date().toISOString() });
  await writeAtomically(dir, doc);
  return credential;
}

function newCredential(): Credential {
  return { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
}

/** A key as `sgfw credentials list` shows it: never its secret. */
export interface CredentialListing {
  accessKeyId: string;
  /** ISO 8601; '' for a key written without one */
  created: string;
}

export async function listCredentials(dir: string): Promise<CredentialListing[]> {
  return (await readDocument(dir)).credentials.map((c) => ({ accessKeyId: c.accessKeyId, created: typeof c.created === 'string' ? c.created : '' }));
}

function unknownKey(dir: string, accessKeyId: string): CredentialsError {
  return new CredentialsError(`${credentialsPath(dir)}: no access key ${accessKeyId} (see 'sgfw credentials list --state-dir ${dir}')`);
}

/** Removes `accessKeyId` from `dir`. Throws CredentialsError when it is not there. */
export async function deleteCredential(dir: string, accessKeyId: string): Promise<void> {
  const doc = await readDocument(dir);
  const kept = doc.credentials.filter((c) => c.accessKeyId !== accessKeyId);
  if (kept.length === doc.credentials.length) throw unknownKey(dir, accessKeyId);
  await writeAtomically(dir, { ...doc, credentials: kept });
}

/**
 * Replaces `accessKeyId` (or the only key, when none is named) with a new key, in one atomic
 * write: there is no moment with both or neither. Throws CredentialsError when the key is not
 * there, or none is named and `dir` holds no key or several.
 */
export async function rotateCredential(dir: string, accessKeyId?: string): Promise<{ replaced: string; credential: Credential }> {
  const doc = await readDocument(dir);
  let replaced = accessKeyId;
  if (replaced === undefined) {
    if (doc.credentials.length !== 1) {
      throw new CredentialsError(`${credentialsPath(dir)}: holds ${doc.credentials.length} access keys; name the one to rotate`);
    }
    replaced = doc.credentials[0].accessKeyId;
  }
  const at = doc.credentials.findIndex((c) => c.accessKeyId === replaced);
  if (at < 0) throw unknownKey(dir, replaced);
  const credential = newCredential();
  doc.credentials[at] = { ...credential, created: new Date().toISOString() };
  await writeAtomically(dir, doc);
  return { replaced, credential };
}

/** Where the server finds the secret of an access key (undefined: unknown key). */
export interface CredentialSource {
  secretFor(accessKeyId: string): string | undefined;
}

/** A credential source that reads its file again on demand (SIGHUP). */
export interface ReloadableCredentials extends CredentialSource {
  /** Re-reads the file now; returns the number of keys. Throws CredentialsError (the keys last read stay). */
  reload(): number;
}

/** A fixed set of credentials. */
export function staticCredentials(credentials: readonly Credential[]): CredentialSource {
  const byId = new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  return { secretFor: (id) => byId.get(id) };
}

/** How often, at most, a request makes the server look whether the credentials file changed. */
export const CREDENTIALS_CHECK_MS = 1000;

/**
 * The credentials file of `dir`, followed: at most once a second a request stats it, and a file
 * that changed (it is replaced whole, so a new inode) is read again (synchronously: it is small).
 * So `sgfw credentials create`, `delete` and `rotate` take effect on a running server within a
 * second, and at once on `reload()` (SIGHUP). A file that turned corrupt keeps the keys last read.
 */
export function credentialsFromDir(dir: string, initial: readonly Credential[]): ReloadableCredentials {
  const file = credentialsPath(dir);
  let byId = new Map(initial.map((c) => [c.accessKeyId, c.secretAccessKey]));
  let seenFile = fileIdentity(file);
  let lastCheck = Date.now();
  const read = (): number => {
    const identity = fileIdentity(file);
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CredentialsError(`${file}: cannot read (${(e as Error).message})`);
    }
    const creds = text === null ? [] : parse(text, file).credentials;
    byId = new Map(creds.map((c) => [c.accessKeyId, c.secretAccessKey]));
    seenFile = identity;
    return byId.size;
  };
  return {
    secretFor(accessKeyId) {
      if (Date.now() - lastCheck >= CREDENTIALS_CHECK_MS) {
        lastCheck = Date.now();
        if (fileIdentity(file) !== seenFile) {
          try {
            read();
          } catch {
            // corrupt or unreadable: the keys last read stay, and SIGHUP's reload() says why
          }
        }
      }
      return byId.get(accessKeyId);
    },
    reload() {
      lastCheck = Date.now();
      return read();
    },
  };
}

/** Inode, size and modification time: what changes when the file is replaced or rewritten. */
function fileIdentity(file: string): string {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
}
