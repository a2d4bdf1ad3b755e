// `--log-level` and `--log-format`, shared by every long-running command (`run` in each mode,
// `serve`): the same flags mean the same logs everywhere. JSON on stderr unless stderr is a
// terminal or `--log-format pretty` says otherwise; `--log-format json` forces JSON on a terminal.
import { createLogger, isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type Logger } from '../observe/logger.js';
import type { CliIo } from './cli-io.js';
import { oneOf } from './flags-value-checks.js';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { UsageError } from './usage-error.js';

export const LOG_FLAGS: readonly FlagSpec[] = [
  { name: 'log-level', kind: 'string', value: 'LEVEL', description: `${LOG_LEVELS.join(', ')} (default info)`, check: oneOf(LOG_LEVELS) },
  {
    name: 'log-format',
    kind: 'string',
    value: 'FORMAT',
    description: 'json (pino, one object per line) or pretty (time level message key=value); default json, pretty when stderr is a terminal',
    check: oneOf(LOG_FORMATS),
  },
];

/** The logger the flags ask for, writing to `io.stderr`. Throws UsageError for a bad value. */
export function loggerFromFlags(args: ParsedArgs, io: CliIo): Logger {
  const level = args.string('log-level') ?? 'info';
  if (!isLogLevel(level)) throw new UsageError(`--log-level expects ${LOG_LEVELS.join(', ')}, got '${level}'`);
  const format = args.string('log-format') ?? (io.stderr.isTTY ? 'pretty' : 'json');
  if (!isLogFormat(format)) throw new UsageError(`--log-format expects ${LOG_FORMATS.join(' or ')}, got '${format}'`);
  return createLogger(level, { write: (line: string) => void io.stderr.write(line) }, format);
}
