// The scrape endpoint: GET /metrics on a node:http server, with what a supervisor and `sgfw status`
// ask beside it: /healthz (the process answers), /readyz (it has started its work) and /status
// (one JSON object: mode, interfaces, counters). Loopback unless the operator names another
// address, since all of it describes the host's traffic; none of it changes anything.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXPOSITION_CONTENT_TYPE } from './metrics.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[V6]:PORT` or a bare `PORT` (then 127.0.0.1); null when it is neither. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text) ?? /^()()([0-9]{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export class MetricsServerError extends Error {
  override readonly name = 'MetricsServerError';
}

export interface MetricsServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

export interface MetricsServerExtras {
  /** GET /status: this object (or what it resolves to) as JSON (404 without it) */
  status?: () => unknown;
  /** GET /readyz answers 200 once this is true, 503 before; always 200 without it */
  ready?: () => boolean;
}

function plain(res: ServerResponse, status: number, text: string, head: boolean): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(head ? undefined : text);
}

/** Serves `render()` (text or its promise) at /metrics (and /); resolves once listening, rejects with MetricsServerError if it cannot listen. */
export function startMetricsServer(at: ListenAddress, render: () => string | Promise<string>, extras: MetricsServerExtras = {}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const head = req.method === 'HEAD';
    if (path === '/healthz') return plain(res, 200, 'ok\n', head);
    if (path === '/readyz') return extras.ready === undefined || extras.ready() ? plain(res, 200, 'ready\n', head) : plain(res, 503, 'starting\n', head);
    if (path === '/status' && extras.status !== undefined) {
      const status = extras.status;
      // A sync throw and a rejected promise both become a 500.
      new Promise<unknown>((resolve) => resolve(status())).then(
        (value) => {
          const body = `${JSON.stringify(value)}\n`;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(head ? undefined : body);
        },
        (e: unknown) => plain(res, 500, `${e instanceof Error ? e.message : String(e)}\n`, head),
      );
      return;
    }
    if (path !== '/metrics' && path !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; try /metrics${extras.status ? ', /status' : ''}, /healthz or /readyz\n`);
      return;
    }
    // A sync throw and a rejected promise both become the one 500 below.
    new Promise<string>((resolve) => resolve(render())).then(
      (body) => {
        res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
        res.end(head ? undefined : body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void => reject(new MetricsServerError(`cannot serve metrics on ${at.host}:${at.port}: ${e.message}`));
    server.once('error', fail);
    server.listen(at.port, at.host, () => {
      server.off('error', fail);
      const a = server.address() as AddressInfo;
      resolve({
        address: { host: a.address, port: a.port },
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
