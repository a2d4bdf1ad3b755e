// The gateway's watch against a stand-in for etcd's /v3/watch: a stream whose watchers are not all
// confirmed in time is EtcdWatchIncomplete (etcd 3.4's gateway now and then drops the last create
// request of a body, leaving that range silent forever), and a confirmed one streams on.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdGateway, EtcdWatchIncomplete, EtcdUnavailable } from '../../src/fleet/etcd-gateway.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Confirms `confirm` of the create requests in the body, then keeps the stream open. */
async function fakeEtcd(confirm: (requests: number) => number): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const requests = body.split('\n').filter((l) => l.trim() !== '').length;
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < confirm(requests); i++) res.write(`${JSON.stringify({ result: { header: { revision: '5' }, watch_id: String(i), created: true } })}\n`);
      const timer = setInterval(() => res.write('\n'), 50);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

const ranges = [{ key: '/p/a' }, { key: '/p/b' }, { key: '/p/c' }];

describe('a watch stream carrying several watchers', () => {
  it('is EtcdWatchIncomplete when a watcher is never confirmed (an outage to callers that do not know the subclass)', async () => {
    const gw = new EtcdGateway([await fakeEtcd((n) => n - 1)], { requestTimeoutMs: 100 });
    const seen: boolean[] = [];
    const failure = await (async () => {
      for await (const m of gw.watchRanges(ranges, 1, new AbortController().signal)) seen.push(m.created);
    })().then(() => undefined, (e: unknown) => e);
    expect(seen).toEqual([true, true]);
    expect(failure).toBeInstanceOf(EtcdWatchIncomplete);
    expect(failure).toBeInstanceOf(EtcdUnavailable);
    expect((failure as Error).message).toContain('2 of 3 watchers created');
  });

  it('streams on past the timeout once every watcher is confirmed', async () => {
    const gw = new EtcdGateway([await fakeEtcd((n) => n)], { requestTimeoutMs: 60 });
    const ac = new AbortController();
    let created = 0;
    setTimeout(() => ac.abort(), 700);
    // ends quietly at our abort, past three request timeouts: a confirmed stream is never timed out
    for await (const m of gw.watchRanges(ranges, 1, ac.signal)) if (m.created) created++;
    expect(created).toBe(3);
    expect(ac.signal.aborted).toBe(true);
  });
});
