import { describe, expect, it } from 'vitest';
import { FLOW_LOG_FLAGS, flowLogFlagValues, parseByteSize, parseDurationSec } from '../../src/cli/flags-flow-log.js';
import { parseFlags } from '../../src/cli/flags.js';

const values = (...argv: string[]) => flowLogFlagValues(parseFlags(argv, FLOW_LOG_FLAGS));

describe('the flow-log flags of sgfw run', () => {
  it('reads sizes in bytes or with K, M, G (×1024)', () => {
    expect(parseByteSize('64M')).toBe(64 * 1024 * 1024);
    expect(parseByteSize('512k')).toBe(512 * 1024);
    expect(parseByteSize('1GiB')).toBe(1024 ** 3);
    expect(parseByteSize('1000')).toBe(1000);
    expect(parseByteSize('1.5M')).toBe(1572864);
    for (const bad of ['', 'M', '-1', '10X', '1 0']) expect(parseByteSize(bad)).toBeNull();
  });

  it('reads ages in seconds or with s, m, h, d', () => {
    expect(parseDurationSec('3600')).toBe(3600);
    expect(parseDurationSec('30m')).toBe(1800);
    expect(parseDurationSec('1h')).toBe(3600);
    expect(parseDurationSec('2d')).toBe(172800);
    for (const bad of ['', 'h', '1.5h', '-1', '1w']) expect(parseDurationSec(bad)).toBeNull();
  });

  it('gives the monitor options, leaving out what was not given', () => {
    expect(values('--flow-log', '/var/log/sgfw/flows.log', '--flow-log-max-size', '16M', '--flow-log-keep', '3', '--flow-log-max-age', '1d', '--flow-log-interval', '600')).toEqual({
      flowLogFile: '/var/log/sgfw/flows.log',
      flowLogMaxBytes: 16 * 1024 * 1024,
      flowLogKeep: 3,
      flowLogMaxAgeSec: 86400,
      flowLogWindowSec: 600,
    });
    expect(values('--flow-log', 'f')).toEqual({ flowLogFile: 'f' });
    expect(values()).toEqual({ flowLogFile: undefined });
  });

  it('refuses a bad value naming the flag, and tuning without --flow-log', () => {
    expect(() => values('--flow-log', 'f', '--flow-log-max-size', 'big')).toThrow("--flow-log-max-size expects bytes or a size like 64M, got 'big'");
    expect(() => values('--flow-log', 'f', '--flow-log-keep', '-2')).toThrow(/--flow-log-keep/);
    expect(() => values('--flow-log', 'f', '--flow-log-interval', '30')).toThrow("--flow-log-interval expects 60 or 600, got '30'");
    expect(() => values('--flow-log', 'f', '--flow-log-max-age', 'soon')).toThrow(/--flow-log-max-age/);
    expect(() => values('--flow-log-keep', '2')).toThrow(/need --flow-log FILE/);
  });
});
