// One server per state directory: two writers appending to one journal would interleave entries and
// each replay a history the other never saw. The lock is a file holding the owner's pid, created
// atomically with its content (written to a private temp file, then link(2), which fails with EEXIST
// if the lock exists — O_EXCL semantics without a window where the lock is empty). A lock whose pid
// is no longer running was left by a crash (kill -9 skips every cleanup) and is taken over.
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from './state-error.js';
import { fsErrorText } from './durable-fs.js';

export const LOCK_FILE = 'lock';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the running process holding `dir`'s lock, if any (a reader beside a server reads differently). */
export async function lockHolder(dir: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(dir, LOCK_FILE), 'utf8').catch(() => ''), 10);
  return Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
}

export interface DirLock {
  readonly file: string;
  release(): Promise<void>;
}

export async function lockStateDir(dir: string): Promise<DirLock> {
  const file = join(dir, LOCK_FILE);
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${Date.now()}`);
  await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, file);
        return { file, release: () => unlink(file).catch(() => undefined) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateError(file, '', `cannot create the lock: ${fsErrorText(e)}`);
      }
      const text = await readFile(file, 'utf8').catch(() => '');
      const pid = Number.parseInt(text, 10);
      if (Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new StateError(file, '', `the state directory is in use by process ${pid} (another sgfw server?); if no sgfw runs as that pid, remove this file`);
      }
      if (attempt > 0) throw new StateError(file, '', 'cannot take over a stale lock (another process is taking it at the same time?)');
      // Left by a process that is gone: take it over.
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
