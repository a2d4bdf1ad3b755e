// Structured operational logs: pino, one JSON object per line on stderr, so a supervisor (systemd,
// a container runtime) collects them beside the process. Never called per packet: the enforcer
// checks a counter (DropSampler) before it asks for a drop line.
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/**
 * A logger named `sgfw`. `destination` defaults to stderr written synchronously, so the last lines
 * (stop, the counters) are out before the process exits.
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    { name: 'sgfw', level, base: { pid: process.pid } },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
