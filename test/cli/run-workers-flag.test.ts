// `sgfw run --workers N`: host mode only (with every output: --verdicts, --flow-log and --metrics
// go with any count), a count in range, and a queue range that fits.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from './capture-io.js';

const STATE = join(import.meta.dirname, '..', '..', 'pcaps', 'albert', 'state.json');

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, err: io.err() };
}

describe('sgfw run --workers', () => {
  it('a queue range past 65535 is bad usage, refused before anything starts, naming both flags', async () => {
    const r = await run('run', '--mode', 'host', '--workers', '2', '--queue', '65535', '--state', STATE, '--verdicts', '/tmp/sgfw-never-written.jsonl', '--metrics', '127.0.0.1:0');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('sgfw run: --queue 65535 with --workers 2 runs past queue 65535 (one queue per worker)');
    expect(r.err).not.toMatch(/not yet with/);
  });

  it('goes with host mode only', async () => {
    const r = await run('run', '--mode', 'monitor', '--interface', 'lo', '--workers', '2', '--state', STATE);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('sgfw run: --workers goes with --mode host (inline and monitor judge on one thread)');
  });

  it('refuses a count out of range', async () => {
    const r = await run('run', '--mode', 'host', '--workers', '0', '--state', STATE);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('sgfw run: --workers expects 1-256, got 0');
  });
});
