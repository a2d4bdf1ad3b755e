import { describe, expect, it } from 'vitest';
import { prettyLogLine } from '../../src/observe/log-pretty.js';
import { createLogger, isLogFormat, isLogLevel } from '../../src/observe/logger.js';

function capture(): { lines: () => Record<string, unknown>[]; stream: { write(s: string): void } } {
  let text = '';
  return { stream: { write: (s: string) => void (text += s) }, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('operational logs are JSON lines with a level', () => {
  it('writes one JSON object per event, named sgfw, with its fields and message', () => {
    const out = capture();
    const log = createLogger('info', out.stream);
    log.info({ event: 'start', queue: 7 }, 'host mode enforcing');
    expect(out.lines()).toMatchObject([{ name: 'sgfw', level: 30, event: 'start', queue: 7, msg: 'host mode enforcing' }]);
  });

  it('leaves out events below the chosen level', () => {
    const out = capture();
    const log = createLogger('warn', out.stream);
    log.info({ event: 'drop' }, 'packet dropped');
    log.error({ event: 'reload-failed' }, 'bad file');
    expect(out.lines().map((l) => l.event)).toEqual(['reload-failed']);
  });

  it('knows the level names --log-level accepts', () => {
    expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
  });
});

describe('the pretty format is one human line per record', () => {
  it('time, level, message, then the fields as key=value (strings with spaces quoted)', () => {
    let text = '';
    const log = createLogger('info', { write: (s: string) => void (text += s) }, 'pretty');
    log.warn({ event: 'request', status: 401, reason: 'signature does not match', rules: ['a', 'b'] }, 'request refused');
    expect(text).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} WARN  request refused event=request status=401 reason="signature does not match" rules=\["a","b"\]\n$/);
    expect(text).not.toContain('pid=');
  });

  it('honours the level like JSON does', () => {
    let text = '';
    const log = createLogger('error', { write: (s: string) => void (text += s) }, 'pretty');
    log.info({}, 'hidden');
    expect(text).toBe('');
  });

  it('passes a line that is not a record through unchanged', () => {
    expect(prettyLogLine('not json\n')).toBe('not json\n');
    expect(prettyLogLine('[1,2]')).toBe('[1,2]\n');
  });

  it('knows the format names --log-format accepts', () => {
    expect(isLogFormat('json') && isLogFormat('pretty')).toBe(true);
    expect(isLogFormat('text')).toBe(false);
  });
});
