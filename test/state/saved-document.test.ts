import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSavedDocument, writeSavedDocument } from '../../src/state/saved-document.js';

const dir = mkdtempSync(join(tmpdir(), 'sgfw-saved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FORMAT = 'sgfw-test-saved/1';
class SavedError extends Error {}
const fail = (path: string) => (problem: string) => new SavedError(`${path}: ${problem}`);
const read = (path: string) => readSavedDocument<{ format: string; n?: number }>(path, FORMAT, fail(path));

describe('a document a process saves to restart from', () => {
  it('reads back what was written, and leaves no temporary file', async () => {
    const path = join(dir, 'good.json');
    const doc = { format: FORMAT, n: 7 };
    await writeSavedDocument(path, doc);
    expect(await read(path)).toEqual({ format: FORMAT, n: 7 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ format: FORMAT, n: 7 });
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('is undefined when there is no file', async () => {
    expect(await read(join(dir, 'absent.json'))).toBeUndefined();
  });

  it("throws the caller's error, naming the problem, for a file that is not one", async () => {
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{"format":');
    await expect(read(notJson)).rejects.toThrow(new RegExp(`^${notJson}: not JSON \\(`));
    await expect(read(notJson)).rejects.toBeInstanceOf(SavedError);
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ format: 'sgfw-test-saved/2' }));
    await expect(read(other)).rejects.toThrow(`${other}: not an ${FORMAT} document`);
    const nul = join(dir, 'null.json');
    writeFileSync(nul, 'null');
    await expect(read(nul)).rejects.toThrow(`${nul}: not an ${FORMAT} document`);
  });

  it("throws the caller's error for a file it cannot read", async () => {
    // A directory where the file should be: EISDIR, not a missing file.
    await expect(read(dir)).rejects.toThrow(/EISDIR/);
    await expect(read(dir)).rejects.toBeInstanceOf(SavedError);
  });
});
