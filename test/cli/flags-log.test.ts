// --log-level and --log-format: JSON unless stderr is a terminal or pretty is asked for.
import { describe, expect, it } from 'vitest';
import { LOG_FLAGS, loggerFromFlags } from '../../src/cli/flags-log.js';
import { parseFlags } from '../../src/cli/flags.js';
import { UsageError } from '../../src/cli/usage-error.js';

function logged(argv: string[], isTTY: boolean): string {
  let err = '';
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => void (err += s), isTTY } };
  const log = loggerFromFlags(parseFlags(argv, LOG_FLAGS), io);
  log.info({ event: 'ready' }, 'up');
  log.debug({ event: 'detail' }, 'more');
  return err;
}

describe('the log flags', () => {
  it('JSON when stderr is not a terminal; one human line on a terminal', () => {
    expect(JSON.parse(logged([], false))).toMatchObject({ event: 'ready', msg: 'up' });
    expect(logged([], true)).toMatch(/^\S+ INFO  up event=ready\n$/);
  });

  it('--log-format forces either; --log-level filters', () => {
    expect(JSON.parse(logged(['--log-format', 'json'], true))).toMatchObject({ msg: 'up' });
    expect(logged(['--log-format', 'pretty'], false)).toMatch(/ INFO  up /);
    expect(logged(['--log-level', 'debug'], false).trimEnd().split('\n')).toHaveLength(2);
    expect(logged(['--log-level', 'warn'], false)).toBe('');
  });

  it('refuses values it does not know, naming the flag', () => {
    expect(() => logged(['--log-format', 'text'], false)).toThrow(UsageError);
    expect(() => logged(['--log-format', 'text'], false)).toThrow("--log-format expects json or pretty, got 'text'");
    expect(() => logged(['--log-level', 'loud'], false)).toThrow(/--log-level expects fatal, error/);
  });
});
