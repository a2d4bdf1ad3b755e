// The few file operations the durable store needs, each with the fsyncs that make it survive a
// power cut or kill -9: data is synced before a rename publishes it, and the directory is synced
// after a rename or create so the new name itself is on disk (rename(2) alone only orders the
// change in memory; POSIX asks for fsync on the directory to persist it).
import { open, rename, unlink } from 'node:fs/promises';

export async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Replaces `file` with `data` (or its pieces, written in order) so that a crash leaves either the
 * old or the new content, never a mix.
 */
export async function writeFileAtomic(file: string, data: string | Buffer | readonly (string | Buffer)[], dir: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const h = await open(tmp, 'w', 0o600);
  try {
    if (typeof data === 'string' || Buffer.isBuffer(data)) await h.writeFile(data);
    else for (const piece of data) await h.writeFile(piece);
    await h.sync();
  } finally {
    await h.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
}

export function fsErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  return (e as Error).message;
}
