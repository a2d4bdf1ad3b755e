// How many threads inline and monitor modes judge on: --workers as given, else the cores; libpcap's
// capture (--capture pcap, or the fallback when the afpacket addon is not built) on one thread only,
// a refusal saying why and what to use when more are asked for, a reason to log when the default fell to 1.
import { describe, expect, it } from 'vitest';
import { captureWorkers, WORKERS_FLAG } from '../../src/cli/flags-workers.js';
import { parseFlags } from '../../src/cli/flags.js';

const args = (...argv: string[]) => parseFlags(argv, [WORKERS_FLAG]);

describe('inline and monitor modes take --workers, or the cores available', () => {
  it('afpacket: as given, else every core, nothing to log', () => {
    expect(captureWorkers(args('--workers', '3'), 'afpacket', true, 8)).toEqual({ workers: 3, oneThreadBecause: null });
    expect(captureWorkers(args(), 'afpacket', false, 8)).toEqual({ workers: 8, oneThreadBecause: null });
  });

  it('pcap without --workers: one thread, and why (when there were more cores to use)', () => {
    expect(captureWorkers(args(), 'pcap', true, 4)).toEqual({
      workers: 1,
      oneThreadBecause: '--capture pcap judges on one thread: libpcap cannot share an interface among threads; --capture afpacket uses every core',
    });
    expect(captureWorkers(args(), 'pcap', false, 4).oneThreadBecause).toMatch(/^--capture pcap \(the afpacket addon is not built\) judges on one thread/);
    expect(captureWorkers(args(), 'pcap', true, 1)).toEqual({ workers: 1, oneThreadBecause: null });
    expect(captureWorkers(args('--workers', '1'), 'pcap', true, 4)).toEqual({ workers: 1, oneThreadBecause: null });
  });

  it('pcap with --workers N > 1: refused, saying why and what to use', () => {
    expect(() => captureWorkers(args('--workers', '2'), 'pcap', true, 4)).toThrow(
      '--workers 2 cannot go with --capture pcap: libpcap cannot share an interface among threads (no PACKET_FANOUT); use --capture afpacket, or --workers 1',
    );
    // pcap as the fallback: the fix is building the addon
    expect(() => captureWorkers(args('--workers', '4'), 'pcap', false, 4)).toThrow(/^--workers 4 needs --capture afpacket, and its addon is not built \(bash scripts\/build-native\.sh\)/);
  });
});
