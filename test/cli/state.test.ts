// `sgfw state verify|recover` and the start-up refusal of a damaged state directory (issue 15).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachApi } from '../../src/cli/api-attach.js';
import { runCli } from '../../src/cli/run-cli.js';
import { serveCommand } from '../../src/cli/serve.js';
import { stateCommand } from '../../src/cli/state.js';
import { ACK_FILE } from '../../src/state/ack-file.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, openDurableStore } from '../../src/state/durable-store.js';
import { SeqIds, extendWorkloadDir, observable, referenceService } from '../state/durable/workload.js';
import { captureIo } from './capture-io.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-state-cli-'));
let dirs = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function sgfw(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(argv, io, [stateCommand, serveCommand]);
  return { code, out: io.out(), err: io.err() };
}

/** A directory with entries 1..last, a snapshot at `snapshotAt`. */
function stateDir(last: number, snapshotAt: number): Promise<string> {
  return extendWorkloadDir(join(root, `dir-${++dirs}`), last, snapshotAt);
}

/** Cuts the journal after its `keep`-th line (the header is line 1). */
function cutJournal(dir: string, keep: number): void {
  const file = join(dir, JOURNAL_FILE);
  const lines = readFileSync(file, 'utf8').split('\n');
  truncateSync(file, Buffer.byteLength(lines.slice(0, keep).join('\n')) + 1);
}

const snapshotOf = (dir: string): string[] => readdirSync(dir).sort();

describe('sgfw state verify', () => {
  it('exits 0 with what an intact directory holds', async () => {
    const dir = await stateDir(12, 8);
    const r = await sgfw('state', 'verify', dir);
    expect(r).toEqual({ code: 0, out: `${dir}: proves itself: snapshot.json at entry 8, journal entries 9..12, acknowledged through entry 12\n`, err: '' });
  });

  it('exits 1 with one line per problem, each naming its file', async () => {
    const dir = await stateDir(12, 8);
    cutJournal(dir, 3); // header, 9, 10: entries 11 and 12 gone
    const r = await sgfw('state', 'verify', dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${join(dir, JOURNAL_FILE)}: ends at entry 10, but entries 11..12 were acknowledged (acked says 12): acknowledged entries are missing\n`);
    unlinkSync(join(dir, SNAPSHOT_FILE));
    writeFileSync(join(dir, ACK_FILE), 'x');
    const two = await sgfw('state', 'verify', dir);
    expect(two.code).toBe(1);
    expect(two.out.trimEnd().split('\n')).toEqual([
      `${join(dir, ACK_FILE)}: 1 bytes where the record has 128; the record of acknowledged entries is damaged`,
      `${join(dir, SNAPSHOT_FILE)}: missing, but journal.log and acked are here: the state the journal continues from is gone`,
    ]);
  });

  it('runs beside a server that holds the directory', async () => {
    const dir = await stateDir(3, 0);
    const store = await openDurableStore(dir, { service: { idGenerator: new SeqIds().next } });
    try {
      await store.apply('CreateSecurityGroup', { GroupName: 'beside', Description: 'b' });
      const r = await sgfw('state', 'verify', dir);
      expect(r).toMatchObject({ code: 0, out: `${dir}: proves itself: snapshot.json at entry 0, journal entries 1..4, acknowledged through entry 4\n` });
    } finally {
      await store.close();
    }
  });

  it('refuses a subcommand it does not know', async () => {
    expect((await sgfw('state', 'check', root)).code).toBe(2);
  });

  it('says "no state yet" of an empty directory, but refuses a path that is missing or not a directory', async () => {
    const empty = join(root, `dir-${++dirs}`);
    mkdirSync(empty);
    const fresh = await sgfw('state', 'verify', empty);
    expect(fresh.code).toBe(0);
    expect(fresh.out).toBe(`${empty}: no state yet (a first start makes it)\n`);
    const missing = join(root, 'mistyped');
    for (const what of ['verify', 'recover']) {
      const r = await sgfw('state', what, missing);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`sgfw state: ${missing}: no such directory (sgfw serve --store DIR makes it at its first start)\n`);
    }
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const notDir = await sgfw('state', 'verify', file);
    expect(notDir.code).toBe(2);
    expect(notDir.err).toBe(`sgfw state: ${file}: not a directory\n`);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('sgfw state recover', () => {
  it('without --accept-loss says what it would keep and lose, and changes nothing', async () => {
    const dir = await stateDir(12, 8);
    cutJournal(dir, 3);
    const before = snapshotOf(dir).map((f) => readFileSync(join(dir, f), 'latin1'));
    const r = await sgfw('state', 'recover', dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('would keep: the state as of entry 10 (snapshot.json at entry 8, then 2 entries of the journal)\n');
    expect(r.out).toContain('would lose: 2 entries, 11..12\n  entry 11: no readable line holds it\n  entry 12: no readable line holds it\n');
    expect(r.out).toContain(`nothing was changed; run \`sgfw state recover ${dir} --accept-loss\``);
    expect(snapshotOf(dir).map((f) => readFileSync(join(dir, f), 'latin1'))).toEqual(before);
  });

  it('with --accept-loss keeps what can be proven, lists every lost entry, keeps the old files, and the directory starts again', async () => {
    const dir = await stateDir(12, 6);
    // damage line 4 (entry 9) in the middle: entries 9..12 are lost, 10..12 still readable
    const file = join(dir, JOURNAL_FILE);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    lines[3] = lines[3]!.replace('"seq":9', '"seq":8');
    writeFileSync(file, lines.join('\n'));
    const r = await sgfw('state', 'recover', dir, '--accept-loss');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^problem: .*journal\.log: line 4 \(byte \d+\): checksum mismatch, and entries follow it/);
    expect(r.out).toContain('kept: the state as of entry 8 (snapshot.json at entry 6, then 2 entries of the journal)\n');
    expect(r.out).toContain([
      'lost: 4 entries, 9..12',
      '  entry 9: no readable line holds it',
      `  entry 10: ModifyManagedPrefixList (ids none)`,
      `  entry 11: RegisterNetworkInterface (ids 00000000000b00000)`,
      `  entry 12: RevokeSecurityGroupIngress (ids none)`,
    ].join('\n'));
    const moved = /the files as they were are in (\S+)/.exec(r.out)![1]!;
    expect(readFileSync(join(moved, JOURNAL_FILE), 'utf8')).toBe(lines.join('\n'));
    expect((await sgfw('state', 'verify', dir)).code).toBe(0);
    const ids = new SeqIds();
    const store = await openDurableStore(dir, { service: { idGenerator: ids.next } });
    expect(store.seq).toBe(8);
    expect(observable(store.service)).toEqual(observable(referenceService(8)));
    await store.close();
    expect((await sgfw('state', 'recover', dir, '--accept-loss')).out).toBe(`${dir}: proves itself; nothing to recover\n`);
  });

  it('a damaged snapshot loses the entries it held, and says so', async () => {
    const dir = await stateDir(5, 3);
    writeFileSync(join(dir, SNAPSHOT_FILE), '{}');
    const r = await sgfw('state', 'recover', dir, '--accept-loss');
    expect(r.code).toBe(0);
    expect(r.out).toContain('kept: the state as of entry 0 (the empty state)\n');
    expect(r.out).toContain('lost: 5 entries, 1..5\n  entries 1..3: held only by snapshot.json, which does not check out\n  entry 4: ModifyManagedPrefixList');
  });
});

describe('sgfw serve refuses a damaged state directory at start-up', () => {
  it('exits 2 with one line naming the file and the commands to run; a fresh directory starts', async () => {
    const dir = await stateDir(12, 8);
    unlinkSync(join(dir, JOURNAL_FILE));
    const r = await sgfw('serve', '--state-dir', dir, '--listen', '127.0.0.1:0');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `sgfw serve: ${join(dir, JOURNAL_FILE)}: missing: snapshot.json holds entries up to 8 and the journal must continue it; run \`sgfw state verify ${dir}\` to list every problem, or \`sgfw state recover ${dir} --accept-loss\` to keep what can be proven\n`,
    );
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('so does sgfw run --listen, which attaches the API the same way', async () => {
    const dir = await stateDir(4, 2);
    truncateSync(join(dir, JOURNAL_FILE), readFileSync(join(dir, JOURNAL_FILE)).length - 1); // the last newline
    await expect(attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(
      new RegExp(`^${join(dir, JOURNAL_FILE)}: ends at entry 3, but entry 4 was acknowledged .*; run \`sgfw state verify`),
    );
  });
});
