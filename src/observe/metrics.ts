// The Prometheus registry every sgfw process serves (prom-client): the default process and Node
// metrics, sgfw_build_info, histograms observed where their events happen (rebuilds, API requests),
// and the families a mode computes at scrape time from counters the dataplane keeps anyway. Those
// families stay plain data (MetricFamily) built by a function per scrape: the hot path never touches
// a prom-client object, and a scrape costs no per-packet work.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge';

export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly MetricSample[];
}

export const EXPOSITION_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What prom-client's registry asks of a metric; one per family name, reading the latest scrape's samples. */
class ScrapedFamily {
  readonly aggregator = 'sum';
  current: MetricFamily;
  constructor(family: MetricFamily) {
    this.current = family;
  }
  get name(): string {
    return this.current.name;
  }
  get help(): string {
    return this.current.help;
  }
  get type(): MetricType {
    return this.current.type;
  }
  get(): { name: string; help: string; type: MetricType; aggregator: string; values: { labels: Record<string, string>; value: number }[] } {
    const f = this.current;
    return { name: f.name, help: f.help, type: f.type, aggregator: this.aggregator, values: f.samples.map((s) => ({ labels: { ...s.labels }, value: s.value })) };
  }
}

// prom-client checks the names of the metrics it builds, not of ones handed to it: a bad name or
// label here would be served as a page Prometheus rejects whole.
function checkFamily(f: MetricFamily): void {
  if (!NAME.test(f.name)) throw new Error(`metric name '${f.name}' is not a Prometheus name`);
  for (const s of f.samples) {
    for (const k of Object.keys(s.labels ?? {})) {
      if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`label name '${k}' of ${f.name} is not a Prometheus label name`);
    }
  }
}

export interface SgfwMetricsOptions {
  /** sgfw's version, for sgfw_build_info (absent: no build info, as where only families are written) */
  version?: string;
  /** process_* and nodejs_* (on by default; off where a test wants only its own families) */
  defaultMetrics?: boolean;
}

export class SgfwMetrics {
  readonly registry = new Registry();
  readonly contentType = EXPOSITION_CONTENT_TYPE;
  private readonly sources: (() => readonly MetricFamily[])[] = [];
  private readonly scraped = new Map<string, ScrapedFamily>();

  constructor(options: SgfwMetricsOptions) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    if (options.version === undefined) return;
    new Gauge({
      name: 'sgfw_build_info',
      help: 'Always 1; the labels say which sgfw and which Node.js run.',
      labelNames: ['version', 'node'] as const,
      registers: [this.registry],
    }).set({ version: options.version, node: process.version }, 1);
  }

  /** `families` is called at each scrape; what it returns then is served. */
  addFamilies(families: () => readonly MetricFamily[]): this {
    this.sources.push(families);
    return this;
  }

  /** The exposition text, families computed now. Throws (before anything is served) on a malformed family. */
  async render(): Promise<string> {
    const now = this.sources.flatMap((s) => s());
    const seen = new Set<string>();
    for (const f of now) {
      checkFamily(f);
      if (seen.has(f.name)) throw new Error(`metric family ${f.name} is computed twice`);
      seen.add(f.name);
    }
    for (const f of now) {
      const known = this.scraped.get(f.name);
      if (known) known.current = f;
      else {
        const fresh = new ScrapedFamily(f);
        // The registry's type only names prom-client's own classes; it reads name and get() alone.
        this.registry.registerMetric(fresh as unknown as Parameters<Registry['registerMetric']>[0]);
        this.scraped.set(f.name, fresh);
      }
    }
    // A family a mode computes only sometimes (capture stats) is absent, not an empty HELP/TYPE.
    for (const name of [...this.scraped.keys()]) {
      if (seen.has(name)) continue;
      this.registry.removeSingleMetric(name);
      this.scraped.delete(name);
    }
    return this.registry.metrics();
  }
}

/** The exposition text of `families` alone, through the same writer /metrics uses. */
export function renderExposition(families: readonly MetricFamily[]): Promise<string> {
  return new SgfwMetrics({ defaultMetrics: false }).addFamilies(() => families).render();
}
