import { describe, expect, it } from 'vitest';
import { META_STRIDE, NfqMeta, type NfqueueStats } from '../../src/capture/nfqueue.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { HostEnforcer } from '../../src/live/host-enforcer.js';
import { hostMetricFamilies, observeRebuilds } from '../../src/live/host-metrics.js';
import { DropSampler } from '../../src/observe/drop-sampler.js';
import { createLogger } from '../../src/observe/logger.js';
import { renderExposition, SgfwMetrics } from '../../src/observe/metrics.js';
import { parseExposition } from '../observe/exposition.js';
import { fewestCollectionsOver } from '../support/gc-count.js';
import { ALBERT_ENI, ALBERT_STATE, batchOf } from './host-batches.js';

const queue: NfqueueStats = { received: 5, batches: 2, enobufs: 1, verdictErrors: 0, overflows: 0, gsoPackets: 3, headersOnly: 4, gsoQueues: 1 };

async function setup(sampler?: DropSampler, logged?: string[]) {
  const dataplane = new Dataplane(await serviceFromStateFiles([ALBERT_STATE]));
  const drops = sampler ? { sampler, logger: createLogger('info', { write: (s: string) => void logged!.push(s) }) } : null;
  const enforcer = new HostEnforcer(dataplane, null, () => 1000, drops);
  const scrape = async () => parseExposition(await renderExposition(hostMetricFamilies({ dataplane, enforcer, queue: () => queue })));
  return { dataplane, enforcer, scrape };
}

const SSH_IN = { src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' } as const;
const STRANGER_SSH = { src: '198.51.100.7', dst: '10.0.0.10', proto: 'tcp', sport: 40001, dport: 22, flags: 'S' } as const;
const ELSEWHERE = { src: '192.0.2.1', dst: '192.0.2.2', proto: 'udp', sport: 1, dport: 2 } as const;

function value(families: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}): number | undefined {
  return families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('metrics count packets and bytes by interface, verdict and reason', () => {
  it('counts allowed and dropped packets on Albert\'s interface with their reasons', async () => {
    const { enforcer, scrape } = await setup();
    const batch = batchOf([SSH_IN, STRANGER_SSH, STRANGER_SSH, ELSEWHERE]);
    enforcer.judgeBatch(batch);
    const m = await scrape();
    expect(value(m, 'sgfw_packets_total', { interface: ALBERT_ENI, verdict: 'allow', reason: 'rule' })).toBe(1);
    expect(value(m, 'sgfw_packets_total', { interface: ALBERT_ENI, verdict: 'drop', reason: 'ingress-no-rule' })).toBe(2);
    expect(value(m, 'sgfw_packets_total', { interface: 'none', verdict: 'allow', reason: 'unmanaged' })).toBe(1);
    const total = m.get('sgfw_packets_total')!.samples.reduce((n, s) => n + s.value, 0);
    expect(total).toBe(4);
    const bytes = m.get('sgfw_bytes_total')!.samples.reduce((n, s) => n + s.value, 0);
    const lengths = [0, 1, 2, 3].map((i) => batch.meta[i * META_STRIDE + NfqMeta.WIRE_LENGTH]!);
    expect(bytes).toBe(lengths.reduce((a, b) => a + b, 0));
  });

  it('reports conntrack, the model version and the queue\'s own counters', async () => {
    const { dataplane, enforcer, scrape } = await setup();
    enforcer.judgeBatch(batchOf([SSH_IN]));
    const m = await scrape();
    expect(value(m, 'sgfw_up')).toBe(1);
    expect(value(m, 'sgfw_conntrack_entries')).toBe(1);
    expect(value(m, 'sgfw_conntrack_inserts_total')).toBe(1);
    expect(value(m, 'sgfw_conntrack_evictions_total')).toBe(0);
    expect(value(m, 'sgfw_conntrack_evictions_by_kind_total', { kind: 'unanswered' })).toBe(0);
    expect(value(m, 'sgfw_conntrack_evictions_by_kind_total', { kind: 'over_share' })).toBe(0);
    expect(value(m, 'sgfw_conntrack_early_expired_total')).toBe(0);
    expect(value(m, 'sgfw_conntrack_share_refusals_total')).toBe(0);
    expect(value(m, 'sgfw_conntrack_insert_failures_total')).toBe(0);
    expect(value(m, 'sgfw_model_version')).toBe(dataplane.modelVersion);
    expect(value(m, 'sgfw_nfqueue_packets_total')).toBe(5);
    expect(value(m, 'sgfw_nfqueue_enobufs_total')).toBe(1);
    expect(m.get('sgfw_nfqueue_overflows_total')!.type).toBe('counter');
    expect(value(m, 'sgfw_nfqueue_gso_packets_total')).toBe(3);
    expect(value(m, 'sgfw_nfqueue_headers_only_total')).toBe(4);
  });

  it('costs nothing per packet: two scrapes without traffic read the same counters', async () => {
    const { enforcer, scrape } = await setup();
    enforcer.judgeBatch(batchOf([STRANGER_SSH]));
    expect(value(await scrape(), 'sgfw_packets_total', { verdict: 'drop' })).toBe(1);
    expect(value(await scrape(), 'sgfw_packets_total', { verdict: 'drop' })).toBe(1);
  });
});

describe('the registry /metrics serves', () => {
  it('times every classifier rebuild in a histogram, says which build runs, and adds the process metrics', async () => {
    const service = await serviceFromStateFiles([ALBERT_STATE]);
    const dataplane = new Dataplane(service);
    const enforcer = new HostEnforcer(dataplane, null, () => 1000, null);
    const metrics = new SgfwMetrics({ version: '9.9.9' }).addFamilies(() => hostMetricFamilies({ dataplane, enforcer }));
    observeRebuilds(metrics, dataplane);
    dataplane.applyModel();
    dataplane.applyModel();
    const m = parseExposition(await metrics.render());
    // the first build and the two rebuilds
    expect(m.get('sgfw_classifier_rebuild_seconds')!.type).toBe('histogram');
    const samples = m.get('sgfw_classifier_rebuild_seconds')!.samples;
    expect(samples.find((s) => s.name === 'sgfw_classifier_rebuild_seconds_count')!.value).toBe(3);
    expect(samples.find((s) => s.name === 'sgfw_classifier_rebuild_seconds_bucket' && s.labels.le === '+Inf')!.value).toBe(3);
    expect(value(m, 'sgfw_build_info', { version: '9.9.9', node: process.version })).toBe(1);
    expect(m.get('process_cpu_seconds_total')!.type).toBe('counter');
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(value(m, 'sgfw_up')).toBe(1);
  });
});

describe('dropped packets are logged with their reason, sampled', () => {
  it('logs the first drops of a second with addresses and reason, and counts the rest', async () => {
    const logged: string[] = [];
    const sampler = new DropSampler(2);
    const { enforcer } = await setup(sampler, logged);
    enforcer.judgeBatch(batchOf([SSH_IN, STRANGER_SSH, STRANGER_SSH, STRANGER_SSH, STRANGER_SSH]));
    const lines = logged.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      event: 'drop',
      reason: 'ingress-no-rule',
      src: '198.51.100.7',
      dst: '10.0.0.10',
      protocol: 6,
      dstPort: 22,
      destinationInterface: ALBERT_ENI,
      sourceInterface: null,
    });
    expect(sampler.tick()).toBe(2);
    expect(enforcer.dropped).toBe(4);
  });
});

describe('counting for metrics and sampling drop logs cost no allocation per packet', () => {
  it('judges 1 000 000 queued packets, half of them dropped past the log budget, without a garbage collection', async () => {
    const logged: string[] = [];
    const sampler = new DropSampler(1);
    const { enforcer } = await setup(sampler, logged);
    const batch = batchOf([SSH_IN, STRANGER_SSH, ELSEWHERE, STRANGER_SSH]);
    enforcer.judgeBatch(batch); // warm-up: spends the one logged drop
    // The fewest collections over up to 3 runs: one the setup left due can land in any one run,
    // while an allocating path collects in every run (see gc-count.ts).
    const { count, result } = await fewestCollectionsOver(3, () => {
      const [packets0, suppressed0] = [enforcer.packets, sampler.suppressed];
      for (let i = 0; i < 250_000; i++) enforcer.judgeBatch(batch);
      return { packets: enforcer.packets - packets0, suppressed: sampler.suppressed - suppressed0 };
    });
    expect(count).toBe(0);
    expect(result).toEqual({ packets: 1_000_000, suppressed: 500_000 });
    expect(logged).toHaveLength(1);
  }, 30_000);
});

describe('metrics count what a flood did to the connection-tracking table', () => {
  it('reports evictions by kind, early expiries and flows left untracked', async () => {
    const dataplane = new Dataplane(await serviceFromStateFiles([ALBERT_STATE]), { conntrackCapacity: 16 });
    let clock = 1000;
    const enforcer = new HostEnforcer(dataplane, null, () => clock, null);
    // 40 SSH SYNs from the one allowed address, none answered: 24 evicted to make room
    const syns = Array.from({ length: 40 }, (_, k) => ({ ...SSH_IN, sport: 30000 + k }));
    enforcer.judgeBatch(batchOf(syns));
    // 11 s later the table is still full of unanswered SYNs, those cut to 10 s under pressure
    // expired: a new one reclaims one of them (or two: how many its probe passes depends on the
    // table's random hash seed)
    clock += 11_000;
    enforcer.judgeBatch(batchOf([{ ...SSH_IN, sport: 31000 }]));
    const m = parseExposition(await renderExposition(hostMetricFamilies({ dataplane, enforcer, queue: () => queue })));
    expect(value(m, 'sgfw_conntrack_evictions_total')).toBe(24);
    expect(value(m, 'sgfw_conntrack_evictions_by_kind_total', { kind: 'unanswered' })).toBe(24);
    expect(value(m, 'sgfw_conntrack_evictions_by_kind_total', { kind: 'over_share' })).toBe(0);
    expect(dataplane.conntrack.earlyExpired).toBeGreaterThanOrEqual(1);
    expect(value(m, 'sgfw_conntrack_early_expired_total')).toBe(dataplane.conntrack.earlyExpired);
    expect(value(m, 'sgfw_conntrack_share_refusals_total')).toBe(0);
    expect(value(m, 'sgfw_conntrack_insert_failures_total')).toBe(0);
  });
});
