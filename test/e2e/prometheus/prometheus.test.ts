// A real Prometheus (Debian's `prometheus`) scrapes a running `sgfw serve --metrics` and answers
// for its counters through its HTTP API; the shipped alert rules pass `promtool check rules`, and
// every expression of the shipped Grafana dashboard is PromQL that Prometheus evaluates.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { createCredential } from '../../../src/api/credentials.js';
import { freePort } from '../../support/free-port.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ALERTS = join(ROOT, 'packaging', 'prometheus', 'sgfw-alerts.yml');
const DASHBOARD = join(ROOT, 'packaging', 'grafana', 'sgfw-dashboard.json');
// setup.sh installs it; only a developer's machine without it (and without CI set) skips.
const HAVE_PROMETHEUS = existsSync('/usr/bin/prometheus') && existsSync('/usr/bin/promtool');
const run = HAVE_PROMETHEUS || process.env.CI ? describe : describe.skip;

const dir = mkdtempSync(join(tmpdir(), 'sgfw-prometheus-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(base: string, expr: string): Promise<QueryAnswer> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as QueryAnswer;
}

function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));
}

run('Prometheus scrapes sgfw', () => {
  it('promtool accepts the shipped alert rules', async () => {
    const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', ALERTS]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('scrapes sgfw serve --metrics every second and answers for its API request counter, and evaluates the dashboard', async () => {
    const stateDir = join(dir, 'state');
    const key = await createCredential(stateDir);
    const sgfw = spawn(process.execPath, [join(ROOT, 'bin', 'sgfw.js'), 'serve', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--metrics', '127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(sgfw);
    let stderr = '';
    sgfw.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await until(
      'sgfw serve to be ready',
      () => {
        const line = stderr.split('\n').find((l) => l.includes('"event":"ready"'));
        return line ? (JSON.parse(line) as { url: string; metrics: { host: string; port: number } }) : undefined;
      },
      20_000,
    );
    const ec2 = new EC2Client({ endpoint: ready.url, region: 'us-east-1', maxAttempts: 1, credentials: key });
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }));
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'db', Description: 'db' }));
    await ec2.send(new DescribeSecurityGroupsCommand({}));

    const promPort = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: sgfw',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${ready.metrics.port}']`,
        '',
      ].join('\n'),
    );
    const prometheus = spawn(
      'prometheus',
      [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${promPort}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(prometheus);
    let promLog = '';
    prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
    const base = `http://127.0.0.1:${promPort}`;
    try {
      // Two creates acknowledged: Prometheus, having scraped, says 2.
      const value = await until(
        'Prometheus to hold a scraped sample of sgfw_api_requests_total',
        async () => {
          if (prometheus.exitCode !== null) throw new Error(`prometheus exited ${prometheus.exitCode}: ${promLog}`);
          const a = await query(base, 'sgfw_api_requests_total{job="sgfw",action="CreateSecurityGroup",code="200"}');
          return a.status === 'success' && a.data!.result.length === 1 ? a.data!.result[0]!.value[1] : undefined;
        },
        60_000,
      );
      expect(value).toBe('2');
      const up = await query(base, 'up{job="sgfw"}');
      expect(up.data!.result[0]!.value[1]).toBe('1');
      const build = await query(base, 'sgfw_build_info');
      expect(build.data!.result[0]!.metric).toMatchObject({ node: process.version, job: 'sgfw' });

      // The dashboard's queries, with Grafana's variables as Grafana would fill them in.
      const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*') })));
      expect(exprs.length).toBeGreaterThan(5);
      for (const { panel, expr } of exprs) {
        const a = await query(base, expr);
        expect({ panel, status: a.status, error: a.error }).toEqual({ panel, status: 'success', error: undefined });
      }
    } finally {
      prometheus.kill('SIGTERM');
      sgfw.kill('SIGTERM');
      await Promise.all([exited(prometheus), exited(sgfw)]);
    }
    expect(sgfw.exitCode).toBe(0);
  }, 90_000);
});
