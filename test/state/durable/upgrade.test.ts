// Directories of the previous format (snapshot format 1, a journal without header, no `acked`)
// keep loading and are upgraded on their first open; a crash in the middle of a first start or an
// upgrade is finished, not refused, since nothing was acknowledged on the new chain yet.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACK_FILE } from '../../../src/state/ack-file.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, openDurableStore, readDurableState } from '../../../src/state/durable-store.js';
import { encodeLegacyEntry, scanJournal, type JournalEntry } from '../../../src/state/journal-file.js';
import { buildSnapshot } from '../../../src/state/snapshot-file.js';
import { SeqIds, extendWorkloadDir, observable, referenceService } from './workload.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-upgrade-'));
let dirs = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The journal entries 1..to of the workload, ids included, as a current store writes them. */
async function workloadEntries(to: number): Promise<JournalEntry[]> {
  const dir = await extendWorkloadDir(join(root, `source-${++dirs}`), to);
  return scanJournal(readFileSync(join(dir, JOURNAL_FILE)), 2).entries;
}

/** A format-1 directory: a snapshot at `snapshotAt`, journal lines for entries from..to. */
async function legacyDir(snapshotAt: number, from: number, to: number): Promise<string> {
  const dir = join(root, `legacy-${++dirs}`);
  mkdirSync(dir, { mode: 0o700 });
  const { dir: _d, chain: _c, fresh: _f, ...rest } = buildSnapshot(referenceService(snapshotAt), { dir: 'x', journalSeq: snapshotAt, chain: 'x' });
  const body = { ...rest, format: 'sgfw-state-snapshot/1' };
  const checksum = `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
  writeFileSync(join(dir, SNAPSHOT_FILE), `${JSON.stringify({ checksum, snapshot: body }, null, 1)}\n`);
  const entries = (await workloadEntries(to)).filter((e) => e.seq >= from);
  writeFileSync(join(dir, JOURNAL_FILE), Buffer.concat(entries.map((e) => encodeLegacyEntry({ seq: e.seq, action: e.action, params: e.params, ids: e.ids }))));
  return dir;
}

async function open(dir: string): Promise<{ seq: number; warnings: string[]; same: boolean }> {
  const warnings: string[] = [];
  const ids = new SeqIds();
  const store = await openDurableStore(dir, { onWarning: (m) => warnings.push(m), service: { idGenerator: ids.next } });
  const seq = store.seq;
  const same = JSON.stringify(observable(store.service)) === JSON.stringify(observable(referenceService(seq)));
  await store.close();
  return { seq, warnings, same };
}

describe('a format-1 directory', () => {
  it('loads, is upgraded on open, and proves itself from then on', async () => {
    const dir = await legacyDir(4, 3, 7);
    expect(observable(await readDurableState(dir))).toEqual(observable(referenceService(7)));
    expect(existsSync(join(dir, ACK_FILE))).toBe(false); // reading does not upgrade
    expect(await open(dir)).toEqual({ seq: 7, warnings: [expect.stringMatching(/upgrading the state directory to the current format/)], same: true });
    expect(existsSync(join(dir, ACK_FILE))).toBe(true);
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toMatch(/^[0-9a-f]{16} \d+ \{"format":"sgfw-journal\/2",.*"base":7,/);
    expect(await open(dir)).toEqual({ seq: 7, warnings: [], same: true });
    await extendWorkloadDir(dir, 8);
    unlinkSync(join(dir, ACK_FILE));
    await expect(open(dir)).rejects.toThrow(/acked: missing/);
  });

  it('drops a torn last line as it always did', async () => {
    const dir = await legacyDir(2, 3, 6);
    const file = join(dir, JOURNAL_FILE);
    const data = readFileSync(file);
    writeFileSync(file, data.subarray(0, data.length - 9));
    const r = await open(dir);
    expect(r).toMatchObject({ seq: 5, same: true });
    expect(r.warnings.join('\n')).toMatch(/dropped a torn last entry/);
  });

  it('an upgrade killed after its snapshot, before its journal, is finished on the next open', async () => {
    const dir = await legacyDir(2, 3, 6);
    const journal = readFileSync(join(dir, JOURNAL_FILE));
    await open(dir);
    writeFileSync(join(dir, JOURNAL_FILE), journal); // the format-1 journal the upgrade had not replaced yet
    unlinkSync(join(dir, ACK_FILE));
    const r = await open(dir);
    expect(r).toMatchObject({ seq: 6, same: true, warnings: [expect.stringMatching(/finishing a first start, upgrade or recovery that was interrupted/)] });
    expect(await open(dir)).toEqual({ seq: 6, warnings: [], same: true });
  });
});

describe('a first start killed half way', () => {
  it('before acked is written, is finished', async () => {
    const dir = join(root, 'first');
    await open(dir);
    unlinkSync(join(dir, ACK_FILE));
    expect(await open(dir)).toMatchObject({ seq: 0, warnings: [expect.stringMatching(/finishing a first start/)] });
  });

  it('after the journal header only, starts as new', async () => {
    const dir = join(root, 'first-2');
    await open(dir);
    unlinkSync(join(dir, ACK_FILE));
    unlinkSync(join(dir, SNAPSHOT_FILE));
    expect(await open(dir)).toEqual({ seq: 0, warnings: [], same: true });
  });

  it('a directory that has acknowledged entries is refused without acked', async () => {
    const dir = join(root, 'first-3');
    await extendWorkloadDir(dir, 1);
    unlinkSync(join(dir, ACK_FILE));
    await expect(open(dir)).rejects.toThrow(/acked: missing: without the count of acknowledged entries/);
  });
});
