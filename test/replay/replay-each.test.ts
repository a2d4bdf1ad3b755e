// `replay --each`: every capture judged as if replayed alone, in one process; and the conntrack
// table sized by the captures (capture-flow-bound.ts) giving the verdicts of the default table.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { captureFlowBound } from '../../src/replay/capture-flow-bound.js';
import { captureName, eachOutputsProblem, outputFor, replayEach, type EachResult } from '../../src/replay/replay-each.js';
import { replay } from '../../src/replay/replay-run.js';
import { readTimeline } from '../../src/replay/timeline.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'pcaps');
const MARY = join(PCAPS, 'mary');
const MARY_STATE = join(MARY, 'state.json');
const MARY_PCAP = join(MARY, 'mary.pcap');
const CONNTRACK = join(PCAPS, 'conntrack');
const FLAGS = { verdictsFile: '--verdicts', flowLogFile: '--flow-log', writeAllowedFile: '--write-allowed' };

describe('outputs of --each are named per capture', () => {
  it('{name} is the capture file name without its extension', () => {
    expect(captureName('pcaps/mary/mary.pcap')).toBe('mary');
    expect(captureName('/x/a.b.pcapng')).toBe('a.b');
    expect(captureName('noext')).toBe('noext');
    expect(captureName('.hidden')).toBe('.hidden');
    expect(outputFor('out/{name}/{name}.jsonl', 'x/mary.pcap')).toBe('out/mary/mary.jsonl');
  });

  it('refuses an output without {name} for several captures, and two captures of the same name', () => {
    expect(eachOutputsProblem(['a.pcap', 'b.pcap'], { verdictsFile: 'v.jsonl' }, FLAGS)).toMatch(/^--verdicts v\.jsonl: .*put \{name\}.*out\/\{name\}\.jsonl/);
    expect(eachOutputsProblem(['a.pcap'], { verdictsFile: 'v.jsonl' }, FLAGS)).toBeUndefined();
    expect(eachOutputsProblem(['a.pcap', 'b.pcap'], { writeAllowedFile: 'o/{name}.pcap' }, FLAGS)).toBeUndefined();
    expect(eachOutputsProblem(['x/a.pcap', 'y/a.pcapng'], { flowLogFile: '{name}.log' }, FLAGS)).toBe(
      "x/a.pcap and y/a.pcapng both have the name 'a': their {name} outputs would be the same files",
    );
    expect(eachOutputsProblem(['x/a.pcap', 'y/a.pcapng'], {}, FLAGS)).toBeUndefined();
  });
});

describe('each capture is judged as if replayed alone', () => {
  it('the same capture twice gets the same summary and verdicts each time, with the timeline each time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-each-'));
    const timelineFile = join(MARY, 'timeline.jsonl');
    const timeline = readTimeline(timelineFile);
    const first = join(dir, 'first.pcap');
    const second = join(dir, 'second.pcap');
    copyFileSync(MARY_PCAP, first);
    copyFileSync(MARY_PCAP, second);
    const alone = await replay(await serviceFromStateFiles([MARY_STATE]), { captures: [MARY_PCAP], timeline, timelineFile, verdictsFile: join(dir, 'alone.jsonl') });
    let models = 0;
    const seen: EachResult[] = [];
    const results = await replayEach(
      async () => {
        models++;
        return serviceFromStateFiles([MARY_STATE]);
      },
      [first, second],
      { timeline, timelineFile, verdictsFile: join(dir, '{name}.jsonl') },
      (r) => seen.push(r),
    );
    expect(models).toBe(2); // a timeline changes the model: each capture starts from the files'
    expect(seen).toEqual(results);
    expect(results.map((r) => r.summary)).toEqual([alone, alone]);
    const lines = readFileSync(join(dir, 'alone.jsonl'), 'utf8');
    expect(readFileSync(join(dir, 'first.jsonl'), 'utf8')).toBe(lines);
    expect(readFileSync(join(dir, 'second.jsonl'), 'utf8')).toBe(lines);
    // replayed together, the second copy finds the first's flows tracked: not the same verdicts
    const together = await replay(await serviceFromStateFiles([MARY_STATE]), { captures: [first, second] });
    const once = await replay(await serviceFromStateFiles([MARY_STATE]), { captures: [first] });
    expect(together.byReason.tracked).toBeGreaterThan(2 * (once.byReason.tracked ?? 0));
  });

  it('a bad capture gets its one-line error and the others are judged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-each-bad-'));
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'not a capture at all');
    const service = await serviceFromStateFiles([MARY_STATE]);
    let models = 0;
    const results = await replayEach(async () => (models++, service), [MARY_PCAP, bad, join(dir, 'missing.pcap'), join(CONNTRACK, 'conntrack.pcap')], {}, () => {});
    expect(models).toBe(1); // no timeline: one model serves every capture
    expect(results.map((r) => (r.summary ? `ok ${r.summary.frames}` : r.error))).toEqual([
      'ok 12',
      `${bad}: not a pcap or pcapng file (magic 0x6e6f7420)`,
      `${join(dir, 'missing.pcap')}: cannot open (ENOENT)`,
      expect.stringMatching(/^ok \d+$/),
    ]);
  });
});

describe('the conntrack table is sized by the captures', () => {
  it('gives room for three flows per frame the bytes allow, at least 1024, at most the live default', () => {
    const size = readFileSync(MARY_PCAP).length;
    expect(captureFlowBound([MARY_PCAP])).toBe(Math.max(1024, (Math.floor(size / 36) + 1) * 3));
    expect(captureFlowBound(['/nonexistent.pcap', tmpdir()])).toBe(1024); // refused when opened
    expect(captureFlowBound([MARY_PCAP, '/dev/null'])).toBe(1 << 20); // a device: no bound known
  });

  it('judges the bundled scenarios and the corpus as the default table does', async () => {
    const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'tcpdump-tests');
    // the largest: the most frames and flows (each replay with the default table costs 128 MiB)
    const some = readdirSync(corpus).filter((f) => f.endsWith('.pcap')).map((f) => join(corpus, f))
      .sort((a, b) => statSync(b).size - statSync(a).size || a.localeCompare(b)).slice(0, 4);
    for (const [state, captures] of [[MARY_STATE, [MARY_PCAP]], [join(CONNTRACK, 'state.json'), [join(CONNTRACK, 'conntrack.pcap')]], [MARY_STATE, some]] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'sgfw-bound-'));
      const run = async (conntrackCapacity: number | undefined, name: string) => {
        return replayEach(() => serviceFromStateFiles([state]), captures, { conntrackCapacity, verdictsFile: join(dir, `{name}.${name}`) }, () => {});
      };
      expect(await run(undefined, 'bound')).toEqual(await run(1 << 20, 'default'));
      for (const c of captures) {
        const n = captureName(c);
        const bound = join(dir, `${n}.bound`);
        if (readdirSync(dir).includes(`${n}.bound`)) expect(readFileSync(bound, 'utf8')).toBe(readFileSync(join(dir, `${n}.default`), 'utf8'));
      }
    }
  }, 60_000);
});
