import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../../src/control/service.js';
import { Ec2Error } from '../../../src/model/ec2-error.js';
import {
  JOURNAL_FILE,
  SNAPSHOT_FILE,
  openDurableStore,
  readDurableState,
  type DurableStore,
  type DurableStoreOptions,
} from '../../../src/state/durable-store.js';
import { StateError } from '../../../src/state/state-error.js';
import { IMPORT_ACTION } from '../../../src/state/store-front.js';
import { SeqIds, observable, referenceService, workloadCall } from './workload.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-durable-'));
let dirs = 0;
const freshDir = (): string => join(root, `state-${++dirs}`);

/** A store whose ids follow the workload's scheme, so its state can be compared with referenceService. */
async function open(dir: string, options: DurableStoreOptions = {}): Promise<{ store: DurableStore; ids: SeqIds; warnings: string[] }> {
  const ids = new SeqIds();
  const warnings: string[] = [];
  const store = await openDurableStore(dir, { onWarning: (m) => warnings.push(m), ...options, service: { idGenerator: ids.next } });
  return { store, ids, warnings };
}

async function runWorkload(store: DurableStore, ids: SeqIds, upTo: number): Promise<void> {
  for (let i = store.seq + 1; i <= upTo; i++) {
    ids.begin(i);
    const { action, params } = workloadCall(i);
    await store.apply(action, params);
  }
}

/** A new state directory holding the first `calls` workload calls, closed. */
async function populatedDir(calls: number, options: DurableStoreOptions = {}): Promise<string> {
  const dir = freshDir();
  const { store, ids } = await open(dir, options);
  await runWorkload(store, ids, calls);
  await store.close();
  return dir;
}

async function refusal(p: Promise<unknown>): Promise<StateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StateError);
    return e as StateError;
  }
  throw new Error('the store opened');
}

describe('the state survives a restart exactly: same groups, rules, rule ids and prefix-list versions', () => {
  it('reopening replays the journal into the same state', async () => {
    const dir = freshDir();
    const a = await open(dir);
    await runWorkload(a.store, a.ids, 20);
    const before = observable(a.store.service);
    expect(before).toEqual(observable(referenceService(20)));
    await a.store.close();

    const b = await open(dir);
    expect(b.store.seq).toBe(20);
    expect(b.store.recovery).toEqual({ snapshotSeq: 0, replayed: 20, tornBytes: 0 });
    expect(observable(b.store.service)).toEqual(before);
    // and it keeps going from there
    await runWorkload(b.store, b.ids, 26);
    expect(observable(b.store.service)).toEqual(observable(referenceService(26)));
    await b.store.close();
  });

  it('a state loaded from a snapshot keeps rule ids and old prefix-list versions', async () => {
    const dir = freshDir();
    const a = await open(dir, { snapshotEvery: 1000 });
    await runWorkload(a.store, a.ids, 30);
    await a.store.snapshot();
    // the journal holds only its header, naming the snapshot it continues
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toMatch(/^[0-9a-f]{16} \d+ \{"format":"sgfw-journal\/2","dir":"[0-9a-f]+","base":30,"chain":"[0-9a-f]{16}"\}\n$/);
    await a.store.close();

    const b = await open(dir);
    expect(b.store.recovery).toEqual({ snapshotSeq: 30, replayed: 0, tornBytes: 0 });
    expect(observable(b.store.service)).toEqual(observable(referenceService(30)));
    await b.store.close();
  });

  it('the directory is private to its owner', async () => {
    const dir = freshDir();
    const { store } = await open(dir);
    await store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, SNAPSHOT_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe('an API call is acknowledged only once its change is in the journal', () => {
  it('each accepted change adds one journal line before apply resolves; reads and refused calls add none', async () => {
    const dir = freshDir();
    const { store, ids } = await open(dir);
    // line 1 is the header
    const lines = (): number => readFileSync(join(dir, JOURNAL_FILE), 'utf8').split('\n').filter((l) => l !== '').length - 1;
    await runWorkload(store, ids, 2);
    expect(lines()).toBe(2);
    await store.apply('DescribeSecurityGroups', {});
    await expect(store.apply('CreateSecurityGroup', { GroupName: 'g1', Description: 'again' })).rejects.toBeInstanceOf(Ec2Error);
    await expect(store.apply('NoSuchAction', {})).rejects.toMatchObject({ code: 'InvalidAction' });
    expect(lines()).toBe(2);
    expect(store.seq).toBe(2);
    const created = (await store.apply('CreateSecurityGroup', { GroupName: 'web', Description: 'web' })) as { GroupId: string };
    expect(lines()).toBe(3);
    expect(store.service.group(created.GroupId)?.groupName).toBe('web');
    await store.close();
  });

  it('calls made without waiting are journaled in the order they were made', async () => {
    const dir = freshDir();
    const { store } = await open(dir);
    const names = Array.from({ length: 10 }, (_, i) => `n${i}`);
    await Promise.all(names.map((n) => store.apply('CreateSecurityGroup', { GroupName: n, Description: n })));
    await store.close();
    const journal = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n').slice(1);
    expect(journal.map((l) => JSON.parse(l.slice(l.indexOf('{'))).params.GroupName)).toEqual(names);
    const reopened = await readDurableState(dir);
    expect([...reopened.groups()].map((g) => g.groupName)).toEqual(['default', ...names]);
  });

  it('a state document imported through the store is journaled and survives a restart with its rule ids', async () => {
    const dir = freshDir();
    const store = await openDurableStore(dir);
    const doc = JSON.parse(readFileSync('pcaps/mary/state.json', 'utf8')) as unknown;
    await store.apply(IMPORT_ACTION, doc);
    const before = observable(store.service);
    await store.close();
    expect(observable(await readDurableState(dir))).toEqual(before);
    const again = await openDurableStore(dir);
    await expect(again.apply(IMPORT_ACTION, { SecurityGroups: 'no' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    expect(again.seq).toBe(1);
    await again.close();
  });
});

describe('snapshots bound the journal', () => {
  it('every snapshotEvery entries a snapshot is written and the journal emptied of what it holds', async () => {
    const dir = freshDir();
    const { store, ids } = await open(dir, { snapshotEvery: 5 });
    await runWorkload(store, ids, 12);
    // Snapshots are built in the background while calls go on (one at a time): which entry the
    // last one captured depends on how far the calls got meanwhile, but it is at 5 or later,
    // and the journal continues it with every entry after it.
    await store.snapshotSettled();
    const snapshot = JSON.parse(readFileSync(join(dir, SNAPSHOT_FILE), 'utf8')) as { snapshot: { journalSeq: number } };
    const at = snapshot.snapshot.journalSeq;
    expect(at).toBeGreaterThanOrEqual(5);
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).toHaveLength(1 + 12 - at); // header + entries at+1 … 12
    await store.close();
    const b = await open(dir, { snapshotEvery: 5 });
    expect(b.store.recovery).toEqual({ snapshotSeq: at, replayed: 12 - at, tornBytes: 0 });
    expect(observable(b.store.service)).toEqual(observable(referenceService(12)));
    await b.store.close();
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('journal entries the snapshot already holds (crash between snapshot and truncation) are skipped', async () => {
    const dir = await populatedDir(8, { snapshotEvery: 1000 });
    const journal = readFileSync(join(dir, JOURNAL_FILE));
    const b = await open(dir, { snapshotEvery: 1000 });
    await b.store.snapshot();
    await b.store.close();
    writeFileSync(join(dir, JOURNAL_FILE), journal); // as if truncation never happened
    const c = await open(dir);
    expect(c.store.recovery).toEqual({ snapshotSeq: 8, replayed: 0, tornBytes: 0 });
    expect(observable(c.store.service)).toEqual(observable(referenceService(8)));
    await c.store.close();
  });
});

describe('recovery drops an unacknowledged torn append, and nothing else', () => {
  it('a half-written last line after the acknowledged ones is dropped with a warning and the journal is repaired', async () => {
    const dir = await populatedDir(6);
    const file = join(dir, JOURNAL_FILE);
    const text = readFileSync(file, 'utf8');
    const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    appendFileSync(file, lastLine.slice(0, lastLine.length - 15)); // an append of a 7th entry, killed inside write()
    const b = await open(dir);
    expect(b.store.seq).toBe(6);
    expect(b.store.recovery.tornBytes).toBe(lastLine.length - 15);
    expect(b.warnings.join('\n')).toMatch(/journal\.log: dropped a torn last entry .*: it was never acknowledged/);
    expect(observable(b.store.service)).toEqual(observable(referenceService(6)));
    await runWorkload(b.store, b.ids, 7);
    await b.store.close();
    const c = await open(dir);
    expect(c.store.recovery.tornBytes).toBe(0);
    expect(observable(c.store.service)).toEqual(observable(referenceService(7)));
    await c.store.close();
  });

  it('a damaged line before the last one refuses to start, naming the file and line', async () => {
    const dir = await populatedDir(4);
    const file = join(dir, JOURNAL_FILE);
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('tcp'); // entry 2, line 3 (line 1 is the header)
    writeFileSync(file, `${text.slice(0, at)}udp${text.slice(at + 3)}`);
    const err = await refusal(open(dir));
    expect(err.file).toBe(file);
    expect(err.message).toMatch(/journal\.log: line 3 \(byte \d+\): checksum mismatch.*damaged; run `sgfw state verify .*` to list every problem, or `sgfw state recover .* --accept-loss`/);
    expect(err.message).not.toContain('\n');
    // and the lock was released: a fixed directory opens again
    writeFileSync(file, text);
    const b = await open(dir);
    expect(b.store.seq).toBe(4);
    await b.store.close();
  });

  it('a missing entry in the middle is refused', async () => {
    const dir = await populatedDir(4);
    const file = join(dir, JOURNAL_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], lines[1], ...lines.slice(3)].join('\n'));
    // entry 3's hash chains on entry 2's: without entry 2 it does not check out
    expect((await refusal(open(dir))).message).toMatch(/line 3 \(byte \d+\): checksum mismatch, and entries follow it/);
  });

  it('a snapshot that was changed refuses to start, naming it', async () => {
    const dir = freshDir();
    const a = await open(dir);
    await runWorkload(a.store, a.ids, 3);
    await a.store.snapshot();
    await a.store.close();
    const file = join(dir, SNAPSHOT_FILE);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('10.0.2.0/24', '10.0.9.0/24'));
    expect((await refusal(open(dir))).message).toMatch(new RegExp(`^${file}: checksum mismatch: the snapshot was changed or damaged after it was written; run`));
    writeFileSync(file, text.slice(0, text.length / 2));
    expect((await refusal(open(dir))).message).toMatch(new RegExp(`^${file}: the snapshot is not valid JSON`));
    writeFileSync(file, '{"SecurityGroups": []}');
    expect((await refusal(readDurableState(dir))).message).toMatch(/snapshot\.json: not an sgfw snapshot/);
  });

  it('a missing snapshot beside a journal is refused rather than starting from a partial state', async () => {
    const dir = await populatedDir(2);
    unlinkSync(join(dir, SNAPSHOT_FILE));
    expect((await refusal(open(dir))).message).toMatch(/snapshot\.json: missing, but journal\.log and acked are here/);
  });

  it('a directory without state is refused when it must exist', async () => {
    const dir = freshDir();
    expect((await refusal(openDurableStore(dir, { createIfMissing: false }))).message).toMatch(/cannot use the state directory: no such file/);
    expect((await refusal(readDurableState(dir))).message).toMatch(/cannot read the state directory/);
  });
});

describe('two servers never share a state directory', () => {
  it('a second open is refused while the first holds the directory, and allowed after close', async () => {
    const dir = freshDir();
    const a = await open(dir);
    const err = await refusal(open(dir));
    expect(err.message).toBe(
      `${join(dir, 'lock')}: the state directory is in use by process ${process.pid} (another sgfw server?); if no sgfw runs as that pid, remove this file`,
    );
    // reading for export does not need the lock
    expect(await readDurableState(dir)).toBeInstanceOf(SecurityGroupService);
    await a.store.close();
    const b = await open(dir);
    await b.store.close();
  });

  it('a lock left by a process that died is taken over', async () => {
    const dir = freshDir();
    const a = await open(dir);
    await a.store.close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, 'lock'), `${dead}\n`);
    const b = await open(dir);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    await b.store.close();
  });
});
