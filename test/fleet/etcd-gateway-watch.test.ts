// The gateway's watch against a stand-in for etcd's /v3/watch: a stream whose watchers are not all
// confirmed in time is EtcdWatchIncomplete (etcd 3.4's gateway now and then drops the last create
// request of a body, leaving that range silent forever), and a confirmed one streams on.
//
// The gateway's own deadlines (the connect timeout and the confirmation wait) run on fake timers
// that only this file moves, and only once the stream has reached the state under test: a loaded
// machine can make the connection slow, never make a deadline fire early. With real timers of
// 60–100 ms this file failed about 2 runs of 3 on a busy CI machine.
import { createServer, type ServerResponse, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EtcdGateway, EtcdWatchIncomplete, EtcdUnavailable, type WatchMessage } from '../../src/fleet/etcd-gateway.js';

let server: Server | undefined;

beforeEach(() => {
  // Only the timers the gateway sets for itself: sockets, fetch and the server run as they do.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(async () => {
  vi.useRealTimers();
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
});

interface FakeEtcd {
  readonly url: string;
  /** the open watch stream, once the body has been read and the confirmations written */
  readonly stream: Promise<ServerResponse>;
}

/** Confirms `confirm(n)` of the n create requests in the body, then keeps the stream open. */
async function fakeEtcd(confirm: (requests: number) => number): Promise<FakeEtcd> {
  let opened!: (res: ServerResponse) => void;
  const stream = new Promise<ServerResponse>((r) => (opened = r));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const requests = body.split('\n').filter((l) => l.trim() !== '').length;
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < confirm(requests); i++) res.write(`${JSON.stringify({ result: { header: { revision: '5' }, watch_id: String(i), created: true } })}\n`);
      opened(res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, stream };
}

/** Reads a watch in the background; `until(n)` resolves once n messages have arrived. */
function consume(watch: AsyncGenerator<WatchMessage>): { seen: WatchMessage[]; ended: Promise<unknown>; until: (n: number) => Promise<void> } {
  const seen: WatchMessage[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const ended = (async () => {
    for await (const m of watch) {
      seen.push(m);
      for (const w of waiters) if (seen.length >= w.n) w.resolve();
    }
  })().then(() => undefined, (e: unknown) => e);
  const until = (n: number): Promise<void> =>
    seen.length >= n ? Promise.resolve() : Promise.race([new Promise<void>((resolve) => waiters.push({ n, resolve })), ended.then(() => {
      throw new Error(`the watch ended after ${seen.length} of ${n} messages`);
    })]);
  return { seen, ended, until };
}

const ranges = [{ key: '/p/a' }, { key: '/p/b' }, { key: '/p/c' }];

describe('a watch stream carrying several watchers', () => {
  it('is EtcdWatchIncomplete when a watcher is never confirmed (an outage to callers that do not know the subclass)', async () => {
    const etcd = await fakeEtcd((n) => n - 1);
    const gw = new EtcdGateway([etcd.url], { requestTimeoutMs: 100 });
    const watch = consume(gw.watchRanges(ranges, 1, new AbortController().signal));
    await watch.until(2);
    // the two confirmations are in; the third never comes, however long the wait
    await vi.advanceTimersByTimeAsync(30_000);
    const failure = await watch.ended;
    expect(watch.seen.map((m) => m.created)).toEqual([true, true]);
    expect(failure).toBeInstanceOf(EtcdWatchIncomplete);
    expect(failure).toBeInstanceOf(EtcdUnavailable);
    expect((failure as Error).message).toContain('2 of 3 watchers created');
  });

  it('streams on past every timeout once every watcher is confirmed', async () => {
    const etcd = await fakeEtcd((n) => n);
    const gw = new EtcdGateway([etcd.url], { requestTimeoutMs: 60 });
    const ac = new AbortController();
    const watch = consume(gw.watchRanges(ranges, 1, ac.signal));
    await watch.until(3);
    // far past the connect timeout and the longest confirmation wait: a confirmed stream is never timed out
    await vi.advanceTimersByTimeAsync(60_000);
    const res = await etcd.stream;
    res.write(`${JSON.stringify({ result: { header: { revision: '6' }, watch_id: '1', events: [{ kv: { key: Buffer.from('/p/b').toString('base64'), value: Buffer.from('v').toString('base64'), mod_revision: '6' } }] } })}\n`);
    await watch.until(4);
    ac.abort();
    expect(await watch.ended).toBeUndefined(); // ends quietly at our abort
    expect(watch.seen.filter((m) => m.created)).toHaveLength(3);
    expect(watch.seen[3]!.events).toEqual([{ type: 'put', key: '/p/b', value: 'v', modRevision: 6 }]);
  });
});
