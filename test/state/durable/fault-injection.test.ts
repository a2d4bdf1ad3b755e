// Issue 15, point 1: a damaged state directory never starts a smaller firewall. Every file of a
// directory with a snapshot and journal entries after it is deleted, cut at every line boundary
// and inside every line, has bytes flipped all over, and is swapped with its counterpart from
// another directory; each must refuse to start with one line naming that file. The one thing
// dropped is a torn last line after the acknowledged entries (an append killed inside write()).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACK_FILE } from '../../../src/state/ack-file.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, openDurableStore } from '../../../src/state/durable-store.js';
import { StateError } from '../../../src/state/state-error.js';
import { SeqIds, extendWorkloadDir, observable, referenceService } from './workload.js';

const FILES = [SNAPSHOT_FILE, JOURNAL_FILE, ACK_FILE] as const;
const root = mkdtempSync(join(tmpdir(), 'sgfw-faults-'));
const SNAPSHOT_AT = 24;
const LAST = 36;

/** A directory with a snapshot at entry SNAPSHOT_AT and entries up to LAST in its journal. */
function build(name: string, last = LAST): Promise<string> {
  return extendWorkloadDir(join(root, name), last, SNAPSHOT_AT);
}

let original: Record<string, Buffer>;
/** the two shapes a directory has: a snapshot with entries after it; only the first start's snapshot (at 0) */
const templates: Record<string, Record<string, Buffer>> = {};
let other: Record<string, Buffer>;
/** one directory's files after entries 20 (no snapshot yet), 30, 36, 37 and 38 */
let moments: Record<'at20' | 'at30' | 'at36' | 'at37' | 'at38', Record<string, Buffer>>;
const scratch = join(root, 'scratch');

const read = (dir: string): Record<string, Buffer> => Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f))]));

/** The scratch directory holding `files` (a missing name is a deleted file). */
function place(files: Record<string, Buffer | undefined>): void {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700 });
  for (const f of FILES) if (files[f] !== undefined) writeFileSync(join(scratch, f), files[f]);
}

async function outcome(files: Record<string, Buffer | undefined>): Promise<{ seq: number; warnings: string[] } | StateError> {
  place(files);
  const warnings: string[] = [];
  const ids = new SeqIds();
  try {
    const store = await openDurableStore(scratch, { onWarning: (m) => warnings.push(m), service: { idGenerator: ids.next } });
    const seq = store.seq;
    const same = JSON.stringify(observable(store.service)) === JSON.stringify(observable(referenceService(seq)));
    await store.close();
    if (!same) throw new Error(`opened at entry ${seq} with a state that is not the first ${seq} calls'`);
    return { seq, warnings };
  } catch (e) {
    if (e instanceof StateError) return e;
    throw e;
  }
}

/** Asserts that `files` refuse to start, naming `file` in one line that points to the commands. */
async function expectRefused(files: Record<string, Buffer | undefined>, file: string, what: string): Promise<void> {
  const r = await outcome(files);
  if (!(r instanceof StateError)) throw new Error(`${what}: started at entry ${r.seq} (${r.warnings.join('; ')})`);
  expect(r.file, `${what}: ${r.message}`).toBe(join(scratch, file));
  expect(r.message, what).not.toContain('\n');
  expect(r.message, what).toContain(`sgfw state recover ${scratch} --accept-loss`);
}

/** Line starts of `data` (0 included, the end excluded). */
function lineStarts(data: Buffer): number[] {
  const out = [0];
  for (let i = data.indexOf(0x0a); i >= 0 && i + 1 < data.length; i = data.indexOf(0x0a, i + 1)) out.push(i + 1);
  return out;
}

beforeAll(async () => {
  original = read(await build('a'));
  templates[`snapshot at ${SNAPSHOT_AT}, journal ${SNAPSHOT_AT + 1}..${LAST}`] = original;
  templates['no snapshot since the first start, journal 1..20'] = read(await build('f', 20));
  other = read(await build('b'));
  const dir = join(root, 'moments');
  const at: Record<string, Record<string, Buffer>> = {};
  for (const [upTo, name] of [[20, 'at20'], [30, 'at30'], [36, 'at36'], [37, 'at37'], [38, 'at38']] as const) {
    at[name] = read(await extendWorkloadDir(dir, upTo, SNAPSHOT_AT));
  }
  moments = at as typeof moments;
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the intact directory, and the one loss that is safe', () => {
  it('opens with every entry', async () => {
    expect(await outcome(original)).toEqual({ seq: LAST, warnings: [] });
  });

  it('a torn line after the last acknowledged entry (an append killed inside write()) is dropped with a warning', async () => {
    const journal = original[JOURNAL_FILE]!;
    const lastLine = journal.subarray(lineStarts(journal).at(-1));
    for (const cut of [1, 17, 30, lastLine.length - 1]) {
      const r = await outcome({ ...original, [JOURNAL_FILE]: Buffer.concat([journal, lastLine.subarray(0, cut)]) });
      expect(r).toMatchObject({ seq: LAST, warnings: [expect.stringMatching(/journal\.log: dropped a torn last entry \(\d+ bytes at byte \d+\): it was never acknowledged/)] });
    }
  });
});

describe.each([`snapshot at ${SNAPSHOT_AT}, journal ${SNAPSHOT_AT + 1}..${LAST}`, 'no snapshot since the first start, journal 1..20'])('every fault in any file refuses to start, naming the file (%s)', (shape) => {
  let original: Record<string, Buffer>;
  beforeAll(() => {
    original = templates[shape]!;
  });

  it.each(FILES)('%s deleted', async (file) => {
    await expectRefused({ ...original, [file]: undefined }, file, `${file} deleted`);
  });

  it.each(FILES)('%s cut at every line boundary and inside every line', async (file) => {
    const data = original[file]!;
    const starts = lineStarts(data);
    const cuts = new Set<number>();
    starts.forEach((s, i) => {
      const end = starts[i + 1] ?? data.length;
      for (const at of [s, s + 1, s + 17, Math.floor((s + end) / 2), end - 1]) if (at >= 0 && at < data.length) cuts.add(at);
    });
    // The journal and acked: every cut. The snapshot is one JSON document whose hundreds of lines
    // are only its layout: every 4th boundary and a sample of the cuts inside lines.
    const boundaries = new Set(starts.filter((_, i) => i % 4 === 0));
    const list = [...cuts].filter((c, i) => file !== SNAPSHOT_FILE || boundaries.has(c) || i % 25 === 0);
    for (const cut of list) await expectRefused({ ...original, [file]: data.subarray(0, cut) }, file, `${file} cut at byte ${cut}`);
    expect(list.length).toBeGreaterThan(3);
  }, 60_000);

  it.each(FILES)('%s with a byte flipped, at offsets all over the file', async (file) => {
    const data = original[file]!;
    const step = Math.max(1, Math.floor(data.length / 100));
    let tried = 0;
    // one bit, three bits (a newline becomes a carriage return, which JSON also takes as blank), all bits
    const masks = [0x01, 0x07, 0xff];
    for (let at = 0; at < data.length; at += step) {
      const mask = masks[tried % masks.length]!;
      const copy = Buffer.from(data);
      copy[at] = copy[at]! ^ mask;
      await expectRefused({ ...original, [file]: copy }, file, `${file} byte ${at} ^ 0x${mask.toString(16)}`);
      tried++;
    }
    for (const at of lineStarts(data).slice(1, 20)) {
      const copy = Buffer.from(data);
      copy[at - 1] = 0x0d; // a newline turned into a carriage return
      await expectRefused({ ...original, [file]: copy }, file, `${file} newline at ${at - 1} made CR`);
    }
    // the last byte of each file (the journal's last newline) too
    const copy = Buffer.from(data);
    copy[data.length - 1] = 0x20;
    await expectRefused({ ...original, [file]: copy }, file, `${file} last byte`);
    expect(tried).toBeGreaterThan(90);
  }, 60_000);

});

describe('the last acknowledged line', () => {
  it('cut away or damaged is refused, not dropped as torn', async () => {
    const journal = original[JOURNAL_FILE]!;
    const last = lineStarts(journal).at(-1)!;
    await expectRefused({ ...original, [JOURNAL_FILE]: journal.subarray(0, last) }, JOURNAL_FILE, 'last line cut away');
    const copy = Buffer.from(journal);
    copy[last + 40] = copy[last + 40]! ^ 0x01;
    const r = await outcome({ ...original, [JOURNAL_FILE]: copy });
    expect(r).toBeInstanceOf(StateError);
    expect((r as StateError).message).toMatch(/journal\.log: ends at entry 35, but entry 36 was acknowledged \(acked says 36\): acknowledged entries are missing; its last line \(byte \d+\) is damaged; run/);
  });
});

describe('files from two directories, or from two moments of one, are refused', () => {
  it.each(FILES)('%s taken from another directory (built by the same calls)', async (file) => {
    await expectRefused({ ...original, [file]: other[file] }, file, `${file} from another directory`);
    const r = await outcome({ ...original, [file]: other[file] });
    expect((r as StateError).message).toMatch(/belongs to another state directory/);
  });

  it('an older copy of one file beside the current others', async () => {
    expect(await outcome(moments.at30)).toMatchObject({ seq: 30 });
    await expectRefused({ ...moments.at36, [JOURNAL_FILE]: moments.at30[JOURNAL_FILE] }, JOURNAL_FILE, 'journal from entry 30');
    await expectRefused({ ...moments.at36, [ACK_FILE]: moments.at30[ACK_FILE] }, ACK_FILE, 'acked from entry 30');
    await expectRefused({ ...moments.at36, [SNAPSHOT_FILE]: moments.at20[SNAPSHOT_FILE] }, SNAPSHOT_FILE, 'snapshot from entry 20');
    await expectRefused({ ...moments.at20, [ACK_FILE]: moments.at36[ACK_FILE] }, JOURNAL_FILE, 'acked from entry 36 beside entry 20');
  });

  it('one complete entry past acked (fsynced, killed before acked was rewritten) is kept and acknowledged; two are a stale acked', async () => {
    expect(await outcome({ ...moments.at37, [ACK_FILE]: moments.at36[ACK_FILE] })).toEqual({ seq: 37, warnings: [] });
    expect(readFileSync(join(scratch, ACK_FILE))).toEqual(moments.at37[ACK_FILE]);
    await expectRefused({ ...moments.at38, [ACK_FILE]: moments.at36[ACK_FILE] }, ACK_FILE, 'acked two entries behind');
  });
});
