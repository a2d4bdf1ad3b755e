// `sgfw status`: 0 and the fields when an sgfw answers /status, 252 when nothing listens, 1 when
// something else answers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { statusCommand } from '../../src/cli/status.js';
import { startMetricsServer, type MetricsServer } from '../../src/observe/metrics-server.js';
import { captureIo } from './capture-io.js';

async function status(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(['status', ...argv], io, [statusCommand]);
  return { code, out: io.out(), err: io.err() };
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const RUNNING = {
  status: 'running', mode: 'host', pid: 42, uptimeSeconds: 3.5, interfaces: ['eni-1', 'eni-2'], modelVersion: 7,
  conntrack: { entries: 12, capacity: 1048576 }, allowed: 100, dropped: 3, dropsByReason: { 'ingress-no-rule': 3 },
  fleet: { hostId: 'web-1', revision: 88, connected: false, staleSeconds: 41.2 },
};

describe('sgfw status', () => {
  it('prints what a running sgfw says, exit 0', async () => {
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '', { status: () => RUNNING });
    servers.push(s);
    const r = await status('--metrics', String(s.address.port));
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'running', 'mode: host', 'pid: 42', 'uptime: 3.5 s', 'interfaces: eni-1 eni-2', 'model version: 7', 'conntrack: 12 of 1048576 entries',
        'allowed: 100', 'dropped: 3', 'drops: ingress-no-rule 3', 'fleet: host web-1 at revision 88, etcd unreachable, stale 41.2 s', '',
      ].join('\n'),
    );
    expect(JSON.parse((await status('--metrics', `127.0.0.1:${s.address.port}`, '--json')).out)).toEqual(RUNNING);
  });

  it('nothing listening: "not running", exit 252', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await status('--metrics', `127.0.0.1:${port}`);
    expect(r).toMatchObject({ code: 252, out: 'not running\n' });
    expect(r.err).toBe(`sgfw status: 127.0.0.1:${port}: nothing listens there\n`);
  });

  it('something that is not an sgfw status: exit 1, saying what came back', async () => {
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '');
    servers.push(s);
    const r = await status('--metrics', String(s.address.port));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GET \/status answered HTTP 404/);
    expect((await status('--metrics', 'nowhere')).code).toBe(2);
  });
});
