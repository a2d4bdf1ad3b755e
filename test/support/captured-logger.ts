// A pino logger whose lines a test reads back as objects: to assert on what sgfw logged.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/observe/logger.js';

export function capturedLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'info' }, sink) as unknown as Logger;
  return { log, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}
