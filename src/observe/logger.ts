// Structured operational logs: pino, one JSON object per line on stderr, so a supervisor (systemd,
// a container runtime) collects them beside the process; `pretty` turns each record into one human
// line (log-pretty.ts) for a terminal. Never called per packet: the enforcer checks a counter
// (DropSampler) before it asks for a drop line.
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyLogLine } from './log-pretty.js';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

export function isLogFormat(text: string): text is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(text);
}

/**
 * A logger named `sgfw`. `destination` defaults to stderr written synchronously, so the last lines
 * (stop, the counters) are out before the process exits; it must write synchronously too (a
 * process's stderr does on Linux, to a file, a pipe or a terminal).
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const out = destination ?? pino.destination({ dest: 2, sync: true });
  const stream: DestinationStream = format === 'pretty' ? { write: (line: string) => out.write(prettyLogLine(line)) } : out;
  return pino({ name: 'sgfw', level, base: { pid: process.pid } }, stream);
}
