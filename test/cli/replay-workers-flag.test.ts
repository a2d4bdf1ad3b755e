// `sgfw replay --workers N`: the same summary for any N; a count out of range is a usage error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from './capture-io.js';

const CONNTRACK = join(import.meta.dirname, '..', '..', 'pcaps', 'conntrack');
const ARGS = ['--json', '--state', join(CONNTRACK, 'state.json'), '--timeline', join(CONNTRACK, 'timeline.jsonl'), join(CONNTRACK, 'conntrack.pcap')];

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('sgfw replay --workers', () => {
  it('gives the summary one thread gives, on 2 and 4 workers', async () => {
    const one = await run('replay', '--workers', '1', ...ARGS);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out)).toMatchObject({ frames: 13, timelineApplied: 1 });
    for (const n of ['2', '4']) {
      const many = await run('replay', '--workers', n, ...ARGS);
      expect(many.code).toBe(0);
      const { workers, ...summary } = JSON.parse(many.out);
      expect(summary).toEqual(JSON.parse(one.out));
      expect(workers).toHaveLength(Number(n));
    }
  });

  it('a bad state or timeline file stops the workers started beside it: one error, exit 2, and the same on one thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-replay-workers-flag-'));
    try {
      const badState = join(dir, 'state.json');
      writeFileSync(badState, '{"SecurityGroups": [');
      const badTimeline = join(dir, 'timeline.jsonl');
      writeFileSync(badTimeline, '{"beforeFrame": "x"}\n');
      const capture = join(CONNTRACK, 'conntrack.pcap');
      for (const argv of [
        ['--state', badState, capture],
        ['--state', join(CONNTRACK, 'state.json'), '--timeline', badTimeline, capture],
      ]) {
        const one = await run('replay', '--workers', '1', ...argv);
        expect(one.code).toBe(2);
        for (const n of ['2', '3']) {
          const many = await run('replay', '--workers', n, ...argv);
          expect(many.code).toBe(2);
          expect(many.err).toBe(one.err);
          expect(many.out).toBe('');
        }
      }
      // The process ends: the workers started before the state was read are stopped, not left waiting for a model.
      // (bin/sgfw.js runs dist/, which the vitest globalSetup builds)
      const cli = spawnSync(process.execPath, ['bin/sgfw.js', 'replay', '--workers', '2', '--state', badState, join(CONNTRACK, 'conntrack.pcap')], {
        encoding: 'utf8',
        timeout: 15_000,
      });
      expect(cli.signal).toBeNull();
      expect(cli.status).toBe(2);
      expect(cli.stderr).toContain(badState);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['0', '-1', '257', 'two'])('refuses --workers %s with a message naming the flag', async (n) => {
    const r = await run('replay', '--workers', n, ...ARGS);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(/^sgfw replay: --workers expects a whole number from 1 to 256, got '(0|-1|257|two)'$/);
  });
});
