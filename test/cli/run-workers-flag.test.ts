// `sgfw run --workers N`: every live mode with every output (--verdicts, --flow-log and --metrics
// go with any count), host mode with a queue range that fits; inline and monitor modes' --capture
// pcap on one thread only (libpcap has no fanout); --realtime-workers with workers only. Each refusal is
// a usage error before anything starts.
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

  it.each([
    [['--mode', 'inline', '--inside', 'sgfw-no-if-a', '--outside', 'sgfw-no-if-b']],
    [['--mode', 'inline', '--inside', 'sgfw-no-if-a', '--outside', 'sgfw-no-if-b', '--verdicts', '/tmp/sgfw-never-written.jsonl', '--metrics', '127.0.0.1:0']],
    [['--mode', 'monitor', '--interface', 'sgfw-no-if-a']],
  ])('--capture pcap with --workers 2 is refused in one line saying why and what to use: %j', async (mode) => {
    const r = await run('run', ...mode, '--capture', 'pcap', '--workers', '2', '--state', STATE);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(
      'sgfw run: --workers 2 cannot go with --capture pcap: libpcap cannot share an interface among threads (no PACKET_FANOUT); use --capture afpacket, or --workers 1',
    );
  });

  it.each([
    [['--mode', 'inline', '--inside', 'lo', '--outside', 'sgfw-none0']],
    [['--mode', 'monitor', '--interface', 'sgfw-none0']],
  ])('a worker that cannot open its capture fails the start as one thread does: one line, the same exit code (%j)', async (mode) => {
    const r = await run('run', ...mode, '--capture', 'afpacket', '--workers', '2', '--state', STATE);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toContain('"event":"start-failed"');
    expect(lines[0]).toMatch(/sgfw-none0: cannot capture: .*no such interface|needs the AF_PACKET addon/);
    expect(r.code).toBe(lines[0]!.includes('AF_PACKET addon') ? 1 : 2);
  });

  it.each(['0', '-1', '1.5', 'two', '257', ''])('refuses --workers %j in one line, in every mode, before anything starts', async (n) => {
    for (const mode of [['--mode', 'host'], ['--mode', 'inline', '--inside', 'sgfw-no-if-a', '--outside', 'sgfw-no-if-b'], ['--mode', 'monitor', '--interface', 'sgfw-no-if-a']]) {
      const r = await run('run', ...mode, '--workers', n, '--state', STATE);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(`sgfw run: --workers expects a whole number from 1 to 256, got '${n}'`);
    }
  });

  it('--realtime-workers with one thread judging is refused in one line, in every mode', async () => {
    for (const mode of [['--mode', 'host'], ['--mode', 'inline', '--inside', 'sgfw-no-if-a', '--outside', 'sgfw-no-if-b'], ['--mode', 'monitor', '--interface', 'sgfw-no-if-a']]) {
      const r = await run('run', ...mode, '--workers', '1', '--realtime-workers', '--state', STATE);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(
        'sgfw run: --realtime-workers goes with --workers N > 1 (the worker threads take the real-time class; the main thread, which serves the API and the rest, never does)',
      );
    }
  });
});
