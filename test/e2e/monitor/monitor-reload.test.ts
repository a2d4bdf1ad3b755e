// `sgfw run --mode monitor --state FILE` reloads its rules on SIGHUP, as host and inline modes do, on
// one thread and on 2 workers: UDP from 16 peers (fixed source ports) is judged by the rules of the
// file; the file is rewritten to allow the other half of the peers and SIGHUP'd; the same flows
// again are judged by the new rules, and the flows the old rules let in stay tracked (their state
// kept, as on AWS). Then a broken file is SIGHUP'd: the reload fails in one log line naming the file,
// and new flows are still judged by the rules in force. The reload records, the stop record and
// sgfw_reloads_total count both. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFPACKET_ADDON } from '../../../src/capture/afpacket.js';
import { freePort } from '../../support/free-port.js';
import { judgedIp, metricSamples, metricValue, ipv6Off, scrapeIn, scrapeUntil, udpListener, udpParityState } from '../../support/worker-parity.js';
import { createPair, destroyPair, sh, spawnInNs, stopProcess, waitFor, type Pair } from '../host-mode/netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.0.10';
/** 198.51.100.40–47 in FIRST, 48–55 in SECOND */
const PEERS = Array.from({ length: 16 }, (_, i) => `198.51.100.${40 + i}`);
const FIRST = '198.51.100.32/28';
const SECOND = '198.51.100.48/28';
const PORT = 5000;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const tag = `mh${process.pid % 10000}`;
const children: ChildProcess[] = [];
let pair: Pair | null = null;

/** argv: HOST PORT BASE N PEER…: from each peer address (source port BASE + its index), N datagrams to PORT. */
const SEND = `
const dgram = require('dgram');
const [host, port, base, n, ...peers] = process.argv.slice(1);
(async () => {
  for (const [i, from] of peers.entries()) {
    const s = dgram.createSocket('udp4');
    await new Promise((r) => s.bind(Number(base) + i, from, r));
    for (let k = 0; k < Number(n); k++) await new Promise((r) => s.send(Buffer.alloc(20), Number(port), host, r));
    s.close();
  }
})();
`;

/** IP packets judged by reason, from a scrape: { rule, tracked, 'ingress-no-rule', … } */
function byReason(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metricSamples(text, ['sgfw_packets_total'], (l) => !l.includes('reason="not-ip"'))) {
    const reason = /reason="([^"]+)"/.exec(line)![1]!;
    out[reason] = (out[reason] ?? 0) + Number(line.split(' ')[1]);
  }
  return out;
}

const minus = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => v !== 0));

const reloads = (text: string, result: 'ok' | 'error'): number => Number(metricSamples(text, ['sgfw_reloads_total'], (l) => l.includes(`result="${result}"`))[0]?.split(' ')[1]);

async function run(workers: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `sgfw-mh-${workers}-`));
  const file = udpParityState(dir, HOST, PORT, FIRST);
  const at = `127.0.0.1:${await freePort()}`;
  const sgfw = spawnInNs(pair!.host, process.execPath, [
    ENTRY, 'run', '--mode', 'monitor', '--interface', `sgh${tag}`, '--capture', 'afpacket', '--workers', String(workers), '--state', file, '--metrics', at,
  ]);
  children.push(sgfw);
  let err = '';
  sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const records = (): Record<string, unknown>[] => err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
  expect(records().find((r) => r.event === 'ready')).toMatchObject({ workers, msg: expect.stringMatching(/SIGINT\/SIGTERM to stop, SIGHUP to reload$/) });

  const scrape = (): string => scrapeIn(pair!.host, at);
  /** sends N datagrams from each peer (source ports from BASE) and scrapes once all are judged */
  const send = async (base: number, n: number, total: number): Promise<string> => {
    sh('ip', ['netns', 'exec', pair!.peer, process.execPath, '-e', SEND, HOST, String(PORT), String(base), String(n), ...PEERS]);
    const metrics = await scrapeUntil(pair!.host, at, (t) => judgedIp(t) >= total);
    expect(judgedIp(metrics)).toBe(total);
    return metrics;
  };
  /** SIGHUP, the outcome's record, and (workers) the new model in force on every worker before traffic is sent */
  const hup = async (event: 'reload' | 'reload-failed'): Promise<Record<string, unknown>> => {
    const seen = records().filter((r) => r.event === event).length;
    sgfw.kill('SIGHUP');
    for (let i = 0; i < 100 && records().filter((r) => r.event === event).length === seen; i++) await new Promise((r) => setTimeout(r, 50));
    const record = records().filter((r) => r.event === event)[seen];
    expect(record, err).toBeDefined();
    for (let i = 0; i < 50 && !(metricValue(scrape(), 'sgfw_model_version') >= (record!.modelVersion as number)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(metricValue(scrape(), 'sgfw_model_version')).toBeGreaterThanOrEqual(record!.modelVersion as number);
    return record!;
  };

  // FIRST's 8 peers: a rule, then tracked; the other 8: no rule.
  const before = await send(41000, 3, 48);
  expect(byReason(before)).toEqual({ rule: 8, tracked: 16, 'ingress-no-rule': 24 });

  expect(udpParityState(dir, HOST, PORT, SECOND)).toBe(file);
  const reload = await hup('reload');
  expect(reload).toMatchObject({ files: [file], groupsChanged: ['sg-0a1b2c3d4e5f60001'] });
  expect(records().find((r) => r.event === 'sighup')).toMatchObject({ files: [file] });
  // The same flows again: SECOND's peers now by a rule; FIRST's still tracked, though no rule lets them in any more.
  const after = await send(41000, 3, 96);
  expect(minus(byReason(after), byReason(before))).toEqual({ rule: 8, tracked: 24 + 16 });
  expect(reloads(after, 'ok')).toBe(1);
  expect(reloads(after, 'error')).toBe(0);

  writeFileSync(file, '{"SecurityGroups": [');
  const failed = await hup('reload-failed');
  expect(failed.file).toBe(file);
  expect(failed.msg).toMatch(/^state reload failed, the rules in force stay: /);
  expect(failed.msg as string).toContain(file);
  expect(failed.msg as string).not.toContain('\n');
  // New flows (new source ports): judged by SECOND, the rules in force.
  const kept = await send(42000, 2, 128);
  expect(minus(byReason(kept), byReason(after))).toEqual({ rule: 8, tracked: 8, 'ingress-no-rule': 16 });
  expect(reloads(kept, 'ok')).toBe(1);
  expect(reloads(kept, 'error')).toBe(1);

  expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
  const stop = records().find((r) => r.event === 'stop');
  expect(stop).toMatchObject({ mode: 'monitor', workers, reloads: 1, reloadFailures: 1 });
  // with 2, both workers judged (the fanout hash spread the 16 peers), so both took the reload
  if (workers > 1) for (const n of stop!.perWorker as number[]) expect(n).toBeGreaterThan(0);
}

describe.runIf(enabled)('monitor mode reloads its state files on SIGHUP, on one thread and on workers', () => {
  beforeAll(async () => {
    expect(existsSync(AFPACKET_ADDON.pathname), `${AFPACKET_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    pair = createPair(tag, HOST, '10.0.0.0/24', PEERS, '198.51.100.0/24');
    ipv6Off(pair.host, pair.peer);
    // a listener: no port unreachable to judge
    await udpListener(pair.host, HOST, PORT, children);
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
  });

  it.each([1, 2])('--workers %i: new rules judge the same flows, tracked flows stay, a broken file keeps the rules in force', async (workers) => {
    await run(workers);
  }, 120_000);
});
