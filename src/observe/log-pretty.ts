// The human log format: one pino JSON record turned into `HH:MM:SS.mmm LEVEL msg key=value …`, for a
// terminal (or `--log-format pretty`). A line that is not a pino record passes through unchanged,
// so nothing written is ever lost to the formatter.

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every record has, shown in the line's head or not at all. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

function clock(ms: unknown): string {
  if (typeof ms !== 'number') return '--:--:--.---';
  return new Date(ms).toISOString().slice(11, 23);
}

/** One JSON line (with or without its newline) as one human line ending in a newline. */
export function prettyLogLine(line: string): string {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `${text}\n`;
  }
  if (record === null || typeof record !== 'object' || typeof record.level !== 'number') return `${text}\n`;
  const level = (LEVEL_NAMES[record.level] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([k]) => !HEAD_FIELDS.has(k))
    .map(([k, v]) => `${k}=${fieldValue(v)}`);
  const msg = typeof record.msg === 'string' ? record.msg : '';
  return `${[clock(record.time), level, msg, ...fields].filter((s) => s !== '').join(' ')}\n`;
}
