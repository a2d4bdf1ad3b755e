import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsServerError, parseListenAddress, startMetricsServer, type MetricsServer } from '../../src/observe/metrics-server.js';

function fetch(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('--metrics takes HOST:PORT, and a bare port means loopback', () => {
  it('reads the forms an operator writes', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
  });

  it('rejects what is not an address and a port', () => {
    for (const bad of ['', '127.0.0.1', '127.0.0.1:', ':9464', '127.0.0.1:70000', 'host:port', '::1:9464']) {
      expect(parseListenAddress(bad), bad).toBeNull();
    }
  });
});

describe('the metrics endpoint serves what the counters say at scrape time', () => {
  it('renders on every GET /metrics with the exposition content type', async () => {
    let scrapes = 0;
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => `# HELP n scrapes\n# TYPE n counter\nn ${++scrapes}\n`);
    servers.push(s);
    const first = await fetch(s.address.port, '/metrics');
    const second = await fetch(s.address.port, '/metrics');
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(first.body).toContain('n 1\n');
    expect(second.body).toContain('n 2\n');
    expect((await fetch(s.address.port, '/other')).status).toBe(404);
  });

  it('answers 500 with the message when rendering fails, and keeps serving', async () => {
    let fail = true;
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => {
      if (fail) throw new Error('counter source gone');
      return 'ok\n';
    });
    servers.push(s);
    expect(await fetch(s.address.port, '/metrics')).toMatchObject({ status: 500, body: 'counter source gone\n' });
    fail = false;
    expect(await fetch(s.address.port, '/metrics')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('fails with a MetricsServerError naming the address when the port is taken', async () => {
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '');
    servers.push(s);
    const clash = startMetricsServer({ host: '127.0.0.1', port: s.address.port }, () => '');
    await expect(clash).rejects.toBeInstanceOf(MetricsServerError);
    await expect(clash).rejects.toThrow(`127.0.0.1:${s.address.port}`);
  });
});

describe('beside /metrics: /healthz, /readyz and /status', () => {
  it('/healthz answers while the process does; /readyz once the work has started', async () => {
    let ready = false;
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '', { ready: () => ready });
    servers.push(s);
    expect(await fetch(s.address.port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await fetch(s.address.port, '/readyz')).toMatchObject({ status: 503 });
    ready = true;
    expect(await fetch(s.address.port, '/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
  });

  it('/status is the provider\'s object as JSON, read at request time; 404 without a provider', async () => {
    let n = 0;
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '', { status: () => ({ status: 'running', n: ++n }) });
    servers.push(s);
    const r = await fetch(s.address.port, '/status');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ status: 'running', n: 1 });
    expect(JSON.parse((await fetch(s.address.port, '/status')).body).n).toBe(2);
    const bare = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '');
    servers.push(bare);
    expect((await fetch(bare.address.port, '/status')).status).toBe(404);
    expect((await fetch(bare.address.port, '/readyz')).status).toBe(200);
  });
});
