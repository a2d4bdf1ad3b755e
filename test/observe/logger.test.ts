import { describe, expect, it } from 'vitest';
import { createLogger, isLogLevel } from '../../src/observe/logger.js';

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
