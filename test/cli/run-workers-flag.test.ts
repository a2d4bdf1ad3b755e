// `sgfw run --workers N`: host and inline modes with every output (--verdicts, --flow-log and
// --metrics go with any count), host mode with a queue range that fits; inline mode not yet with
// --capture pcap; monitor mode 1 only. Each refusal is a usage error before anything starts.
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
    [['--capture', 'pcap'], /^sgfw run: --capture pcap not yet with --workers > 1 \(use --workers 1\)$/],
    [['--verdicts', '/tmp/sgfw-never-written.jsonl', '--metrics', '127.0.0.1:0', '--capture', 'pcap'], /^sgfw run: --capture pcap not yet with --workers > 1/],
  ])('inline mode with %j and 2 workers is refused, naming the flag', async (extra, message) => {
    const r = await run('run', '--mode', 'inline', '--inside', 'sgfw-no-if-a', '--outside', 'sgfw-no-if-b', '--workers', '2', '--state', STATE, ...extra);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(message);
  });

  it('goes with host and inline modes: monitor mode takes 1 only', async () => {
    const r = await run('run', '--mode', 'monitor', '--interface', 'lo', '--workers', '2', '--state', STATE);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('sgfw run: --workers > 1 goes with --mode host or inline (monitor mode judges on one thread)');
  });

  it('a worker that cannot open its capture fails the start as one thread does: one line, the same exit code', async () => {
    const r = await run('run', '--mode', 'inline', '--inside', 'lo', '--outside', 'sgfw-none0', '--capture', 'afpacket', '--workers', '2', '--state', STATE);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toContain('"event":"start-failed"');
    expect(lines[0]).toMatch(/sgfw-none0: cannot capture: .*no such interface|needs the AF_PACKET addon/);
    expect(r.code).toBe(lines[0]!.includes('AF_PACKET addon') ? 1 : 2);
  });

  it('refuses a count out of range', async () => {
    const r = await run('run', '--mode', 'host', '--workers', '0', '--state', STATE);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('sgfw run: --workers expects 1-256, got 0');
  });
});
