// A small parser of the Prometheus text format, strict enough that a malformed line fails a test:
// every sample belongs to a family announced by HELP and TYPE, label values are quoted and escaped.

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  help: string;
  type: string;
  samples: ParsedSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

export function parseExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      if (families.has(help[1])) throw new Error(`family ${help[1]} announced twice`);
      families.set(help[1], { help: help[2], type: '', samples: [] });
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      const f = families.get(type[1]);
      if (!f || f.type !== '') throw new Error(`TYPE for ${type[1]} without a HELP before it`);
      f.type = type[2];
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    // A histogram's or summary's samples carry a suffix on the family's name.
    const base = /^(.*)_(bucket|sum|count)$/.exec(m[1]);
    const f = families.get(m[1]) ?? (base && /^(histogram|summary)$/.test(families.get(base[1])?.type ?? '') ? families.get(base[1]) : undefined);
    if (!f || f.type === '') throw new Error(`sample of unannounced family ${m[1]}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[2].length) {
        const l = LABEL.exec(m[2]);
        if (!l) throw new Error(`bad labels in: ${line}`);
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : /^nan$/i.test(m[3]) ? NaN : Number(m[3]);
    if (!/^nan$/i.test(m[3]) && Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
    f.samples.push({ name: m[1], labels, value });
  }
  return families;
}
