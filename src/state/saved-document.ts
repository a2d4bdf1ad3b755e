// A document a process keeps on local disk to restart from (the fleet agent's last applied state,
// fleet/agent-state-file.ts; the EC2 source's last listing, source/source-state-file.ts): one JSON
// file, written atomically (durable-fs.ts) so that a crash leaves the old file or the new one,
// never half of one, and read back with its format checked. What else the document must hold
// (whose state it is, its fields) each caller checks.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from './durable-fs.js';

export async function writeSavedDocument(path: string, doc: { readonly format: string }): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(doc), dirname(path));
}

/**
 * The document in `path`, or undefined when there is no file; `fail(problem)` is thrown when the
 * file cannot be read, is not JSON, or is not a `format` document.
 */
export async function readSavedDocument<T extends { readonly format: string }>(
  path: string,
  format: string,
  fail: (problem: string) => Error,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fail((e as Error).message);
  }
  let doc: T;
  try {
    doc = JSON.parse(text) as T;
  } catch (e) {
    throw fail(`not JSON (${(e as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || doc.format !== format) throw fail(`not an ${format} document`);
  return doc;
}
