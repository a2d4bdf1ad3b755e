// `sgfw serve`'s request metrics: sgfw_api_requests_total{action,code} and the
// sgfw_api_request_seconds histogram, observed as each answer is sent (the API server's onAnswered,
// the same facts as its request log line). An unsigned client chooses the Action it sends, so only
// actions sgfw knows become label values; the rest count as "other", none sent as "none".
import { Counter, Histogram } from 'prom-client';
import type { SgfwMetrics } from './metrics.js';

export interface AnsweredCall {
  readonly action?: string;
  /** the HTTP status */
  readonly status: number;
  readonly seconds: number;
}

// From a cached DescribeSecurityGroups (sub-millisecond) to a slow durable write or etcd round trip.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Registers both families; the returned function observes one answer. */
export function observeApiRequests(metrics: SgfwMetrics, knownActions: Iterable<string>): (answered: AnsweredCall) => void {
  const known = new Set(knownActions);
  const requests = new Counter({
    name: 'sgfw_api_requests_total',
    help: 'EC2 API requests answered, by Action (other: one sgfw does not know; none: no Action) and HTTP status code.',
    labelNames: ['action', 'code'] as const,
    registers: [metrics.registry],
  });
  const latency = new Histogram({
    name: 'sgfw_api_request_seconds',
    help: 'Time from a request arriving to its answer being sent, by Action.',
    labelNames: ['action'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [metrics.registry],
  });
  return (a) => {
    const action = a.action === undefined ? 'none' : known.has(a.action) ? a.action : 'other';
    requests.inc({ action, code: String(a.status) });
    latency.observe({ action }, a.seconds);
  };
}
