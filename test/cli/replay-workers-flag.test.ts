// `sgfw replay --workers N`: the same summary for any N; a count out of range is a usage error.
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

  it.each(['0', '-1', '257', 'two'])('refuses --workers %s with a message naming the flag', async (n) => {
    const r = await run('replay', '--workers', n, ...ARGS);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(/^sgfw replay: (--workers expects 1-256, got -?\d+|flag --workers expects an integer, got 'two')$/);
  });
});
