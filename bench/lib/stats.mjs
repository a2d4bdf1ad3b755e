// Medians, machine facts and plain tables for the benchmark harness.
import { cpus, loadavg, totalmem } from 'node:os';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function machine(command) {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    command,
  };
}

/** Prints rows (objects) as a fixed-width table with the given [header, key, format] columns. */
export function table(title, columns, rows) {
  const cells = rows.map((r) => columns.map(([, key, f]) => (f ? f(r[key], r) : String(r[key] ?? ''))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (xs) => xs.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  const out = [title, line(columns.map(([h]) => h)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
  console.log(`${out}\n`);
  return out;
}

export const fixed = (d) => (x) => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : String(x ?? '—'));
