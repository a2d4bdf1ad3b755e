// The access keys `sgfw serve` accepts, kept in `<state-dir>/credentials.json` (mode 0600). Written
// atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old file or
// the new one, never half of one.

import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
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
  const credential: Credential = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
  doc.credentials.push({ ...credential, created: new Date().toISOString() });
  await writeAtomically(dir, doc);
  return credential;
}

/** Where the server finds the secret of an access key (undefined: unknown key). */
export interface CredentialSource {
  secretFor(accessKeyId: string): string | undefined;
}

/** A fixed set of credentials. */
export function staticCredentials(credentials: readonly Credential[]): CredentialSource {
  const byId = new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  return { secretFor: (id) => byId.get(id) };
}

/**
 * The credentials file of `dir`, re-read (synchronously: it is small) when an unknown key comes,
 * at most once a second, so keys made by `sgfw credentials create` while the server runs work at
 * once. A file that turned corrupt keeps the keys last read.
 */
export function credentialsFromDir(dir: string, initial: readonly Credential[]): CredentialSource {
  let byId = new Map(initial.map((c) => [c.accessKeyId, c.secretAccessKey]));
  let lastRead = Date.now();
  return {
    secretFor(accessKeyId) {
      const secret = byId.get(accessKeyId);
      if (secret !== undefined || Date.now() - lastRead < 1000) return secret;
      lastRead = Date.now();
      const file = credentialsPath(dir);
      try {
        byId = new Map(parse(readFileSync(file, 'utf8'), file).credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
      } catch {
        return undefined;
      }
      return byId.get(accessKeyId);
    },
  };
}
