// `sgfw replay --each`: a summary per capture, outputs per capture, bad captures reported and
// skipped, the exit code at the end; and the whole tcpdump corpus in one process.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from './capture-io.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'pcaps');
const MARY_STATE = join(PCAPS, 'mary', 'state.json');
const MARY = join(PCAPS, 'mary', 'mary.pcap');
const CONNTRACK = join(PCAPS, 'conntrack', 'conntrack.pcap');
const CORPUS = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'tcpdump-tests');

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('sgfw replay --each', () => {
  it('prints each capture summary under its name, as a replay of it alone prints it, then the totals', async () => {
    const each = await run('replay', '--each', '--state', MARY_STATE, MARY, CONNTRACK);
    expect(each.err).toBe('');
    expect(each.code).toBe(0);
    const alone = await Promise.all([MARY, CONNTRACK].map((c) => run('replay', '--state', MARY_STATE, c)));
    const indented = (text: string) => text.replace(/^(?=.)/gm, '  ');
    expect(each.out).toBe(`${MARY}\n${indented(alone[0].out)}${CONNTRACK}\n${indented(alone[1].out)}captures 2  judged 2  failed 0\n`);
  });

  it('writes --verdicts, --write-allowed and --flow-log per capture by {name}, and --json one line per capture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-each-cli-'));
    const r = await run(
      'replay', '--each', '--json', '--state', MARY_STATE,
      '--verdicts', join(dir, '{name}.jsonl'), '--write-allowed', join(dir, '{name}-allowed.pcap'), '--flow-log', join(dir, '{name}.flowlog'),
      MARY, CONNTRACK,
    );
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { capture: string; frames: number });
    expect(lines.map((l) => l.capture)).toEqual([MARY, CONNTRACK]);
    for (const [name, capture, line] of [['mary', MARY, lines[0]], ['conntrack', CONNTRACK, lines[1]]] as const) {
      const alone = mkdtempSync(join(tmpdir(), 'sgfw-each-alone-'));
      await run('replay', '--state', MARY_STATE, '--verdicts', join(alone, 'v.jsonl'), '--write-allowed', join(alone, 'a.pcap'), capture);
      expect(readFileSync(join(dir, `${name}.jsonl`), 'utf8')).toBe(readFileSync(join(alone, 'v.jsonl'), 'utf8'));
      expect(readFileSync(join(dir, `${name}.jsonl`), 'utf8').trim().split('\n')).toHaveLength(line.frames);
      expect(readFileSync(join(dir, `${name}-allowed.pcap`))).toEqual(readFileSync(join(alone, 'a.pcap')));
      expect(existsSync(join(dir, `${name}.flowlog`))).toBe(true);
    }
  });

  it('reports a bad capture in one line, judges the others, and exits 2 at the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-each-bad-'));
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 0]));
    const r = await run('replay', '--each', '--state', MARY_STATE, MARY, bad, CONNTRACK);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^sgfw replay: ${bad}: `))]);
    expect(r.out).toContain(`${MARY}\n  frames 12`);
    expect(r.out).toContain(`${CONNTRACK}\n  frames `);
    expect(r.out.endsWith('captures 3  judged 2  failed 1\n')).toBe(true);
  });

  it('refuses an output that would be shared by several captures, before judging any', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-each-usage-'));
    const r = await run('replay', '--each', '--state', MARY_STATE, '--verdicts', join(dir, 'v.jsonl'), MARY, CONNTRACK);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(/^sgfw replay: --verdicts .*v\.jsonl: with --each every capture writes its own file: put \{name\}/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('judges every capture of the tcpdump corpus in one process, refusing the bad ones one line each', async () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(CORPUS, f));
    expect(files.length).toBeGreaterThan(500);
    const r = await run('replay', '--each', '--json', '--state', MARY_STATE, ...files);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { capture: string; frames?: number; error?: string });
    expect(lines.map((l) => l.capture)).toEqual(files);
    const failed = lines.filter((l) => l.error !== undefined);
    expect(r.err.trim().split('\n')).toEqual(failed.map((l) => `sgfw replay: ${l.error}`));
    for (const l of failed) expect(l.error!.startsWith(`${l.capture}: `)).toBe(true);
    expect(failed.length).toBeLessThan(files.length / 2);
    expect(r.code).toBe(failed.length > 0 ? 2 : 0);
  }, 120_000);
});
