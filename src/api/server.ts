// The HTTP front of the control plane: the EC2 Query protocol (POST form or GET query,
// `Action=…&Version=2016-11-15&…`) signed with SigV4, answered in EC2 XML; plus STS
// GetCallerIdentity on the same endpoint. Calls run one at a time, in arrival order, so the
// control plane (and the durable store behind `beforeAck`) sees one serial history. Plain HTTP, or
// HTTPS (TLS 1.2+) with `tls`: over plain HTTP a signed request seen on the wire can be replayed
// (to this server: the Host check refuses it elsewhere) until its signature is 15 minutes old.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Ec2Error } from '../control/ec2-errors.js';
import { SerialQueue } from '../control/serial-queue.js';
import type { CredentialSource } from './credentials.js';
import { renderXmlError, renderXmlResponse } from './ec2-xml.js';
import { decodeQueryParams } from './query-params.js';
import { DEFAULT_MAX_BODY_BYTES, readBody } from './server-body.js';
import { hostCheck, type HostCheck, type HostName } from './server-hosts.js';
import { renderCallerIdentity, renderStsError } from './server-sts.js';
import { AuthFailure, verifySigV4 } from './sigv4.js';
import { queryPairs } from './sigv4-canonical.js';
import { loadTlsFiles, TLS_MIN_VERSION, type TlsMaterial } from './tls-files.js';

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 8080 } as const;
const DEFAULT_ACCOUNT_ID = '123456789012';
/** The one EC2 API version sgfw answers in (every current SDK and CLI sends it); see checkVersion. */
export const EC2_API_VERSION = '2016-11-15';

export interface ApiService {
  call(action: string, params: unknown): unknown;
  /** when present, `beforeAck` runs only for calls that moved it (calls that changed the model) */
  readonly version?: number;
  readonly accountId?: string;
}

/** The Query-protocol codec: form → service params, result → EC2 XML. */
export interface ApiCodec {
  decodeQueryParams(action: string, form: Record<string, string>): Record<string, unknown>;
  renderXmlResponse(action: string, result: unknown, requestId: string): string;
  renderXmlError(code: string, message: string, requestId: string): string;
}

/** pino's Logger fits. */
export interface ApiLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ApiServerOptions {
  service: ApiService;
  credentials: CredentialSource;
  /** EC2_QUERY_CODEC (query-params.ts, ec2-xml.ts) by default */
  codec?: ApiCodec;
  /** 127.0.0.1:8080 by default; port 0 picks a free port */
  listen?: { host?: string; port?: number };
  /** Host names answered besides the listen address's own (see server-hosts.ts): `--api-host` */
  hostNames?: readonly HostName[];
  /** serve HTTPS with this certificate and key (loadTlsFiles) */
  tls?: TlsMaterial;
  /** runs after a call that changed the model and before its answer: a throw turns the answer into a 500 */
  beforeAck?: (action: string, params: Record<string, unknown>, result: unknown) => Promise<void>;
  /** runs the call without applying it (throws its error, or returns); without it DryRun is refused */
  dryRun?: (action: string, params: Record<string, unknown>) => unknown;
  logger?: ApiLogger;
  /** told of every answer once it is sent (request metrics); must not throw */
  onAnswered?: (answered: AnsweredRequest) => void;
  maxBodyBytes?: number;
  /** milliseconds since the epoch, for the signature's clock check */
  now?: () => number;
}

/** One answered request, as the request's log line gives it. */
export interface AnsweredRequest {
  /** as the client sent it (truncated); absent when it sent none */
  readonly action?: string;
  readonly status: number;
  /** the EC2 (or STS) error code of an error answer */
  readonly code?: string;
  readonly seconds: number;
}

export interface ApiServer {
  readonly host: string;
  readonly port: number;
  /** `http://HOST:PORT` or `https://HOST:PORT` */
  readonly url: string;
  /**
   * Reads the certificate and key files again and serves them to new connections; false when the
   * server speaks plain HTTP. Throws TlsFilesError (the old pair stays in use).
   */
  reloadTls(): boolean;
  /** stops accepting, lets queued calls finish, closes idle connections */
  close(): Promise<void>;
}

export const EC2_QUERY_CODEC: ApiCodec = { decodeQueryParams, renderXmlResponse, renderXmlError };

const SERVICES = ['ec2', 'sts'] as const;
const CONTENT_TYPE = 'text/xml;charset=UTF-8';

interface Reply {
  status: number;
  body: string;
  action?: string;
  /** the EC2 (or STS) error code, when the answer is an error */
  code?: string;
}

/** What the request showed of itself before its answer, for the request's log line. */
interface Seen {
  action?: string;
  accessKeyId?: string;
  /** refused for its Host header (see server-hosts.ts) */
  wrongHost?: boolean;
}

/** Longest Action logged: an unsigned client chooses it. */
const MAX_LOGGED_ACTION = 64;

const silentLogger: ApiLogger = { info() {}, warn() {}, error() {} };

/** The Query form: query-string pairs (minus the presigned X-Amz-* ones) then, for POST, the body. */
function formOf(url: string, method: string, body: Buffer): Record<string, string> {
  const form: Record<string, string> = {};
  const q = url.indexOf('?');
  for (const [k, v] of queryPairs(q < 0 ? '' : url.slice(q + 1))) if (!k.startsWith('X-Amz-')) form[k] = v;
  if (method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) form[k] = v;
  return form;
}

/**
 * `Version` is a required common parameter of every EC2 Query call. EC2 answers an older version
 * in that version's shapes; sgfw has only 2016-11-15's, so it refuses any other rather than answer
 * a client in shapes it did not ask for.
 */
function checkVersion(version: string | undefined): void {
  if (version === undefined || version === '') throw new Ec2Error('MissingParameter', 'The request must contain the parameter Version.');
  if (version !== EC2_API_VERSION) throw new Ec2Error('NoSuchVersion', `The requested version (${version}) of service AmazonEC2 does not exist.`);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { service } = options;
  const codec = options.codec ?? EC2_QUERY_CODEC;
  const logger = options.logger ?? silentLogger;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const accountId = service.accountId ?? DEFAULT_ACCOUNT_ID;
  /** Serializes calls: each starts when the one before it has answered. */
  const calls = new SerialQueue();

  function ec2Error(e: Ec2Error, requestId: string, action?: string): Reply {
    return { status: e.httpStatus, body: codec.renderXmlError(e.code, e.message, requestId), action, code: e.code };
  }

  async function runEc2(action: string, form: Record<string, string>, requestId: string): Promise<Reply> {
    checkVersion(form.Version);
    const params = codec.decodeQueryParams(action, form);
    const dryRun = /^true$/i.test(form.DryRun ?? '');
    delete params.DryRun;
    if (dryRun) {
      if (options.dryRun === undefined) throw new Ec2Error('UnsupportedOperation', 'DryRun is not supported by this server.');
      options.dryRun(action, params);
      throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    }
    const before = service.version;
    const result = await service.call(action, params);
    if (options.beforeAck !== undefined && (before === undefined || service.version !== before)) {
      await options.beforeAck(action, params, result);
    }
    return { status: 200, body: codec.renderXmlResponse(action, result, requestId), action };
  }

  async function answer(req: IncomingMessage, requestId: string, hosts: HostCheck, seen: Seen): Promise<Reply> {
    // Before the signature: the verdict depends on the Host header and the connection alone, so it
    // says nothing about whether a key exists, and no HMAC is spent on a request meant elsewhere.
    // Not AuthFailure: the credentials may be fine, and the operator should look at the endpoint
    // URL (or --api-host), not at the keys; 400 InvalidHttpRequest says the request itself is wrong.
    if (!hosts.accepts(req.headers.host, req.socket.localAddress)) {
      seen.wrongHost = true;
      throw new Ec2Error('InvalidHttpRequest', `The Host header '${(req.headers.host ?? '').slice(0, 255)}' does not name this endpoint.`, 400);
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') throw new Ec2Error('InvalidHttpRequest', `The HTTP method ${method} is not supported; use POST or GET.`, 405);
    const url = req.url ?? '/';
    const body = await readBody(req, maxBody);
    const form = formOf(url, method, body);
    const action = form.Action;
    // Logged even when the signature fails: "who tried what" is what an operator asks first.
    if (action !== undefined && action !== '') seen.action = action.slice(0, MAX_LOGGED_ACTION);
    const who = verifySigV4({ method, url, rawHeaders: req.rawHeaders, body }, { secretFor: (id) => options.credentials.secretFor(id), services: SERVICES, now: options.now?.() });
    seen.accessKeyId = who.accessKeyId;
    if (action === undefined || action === '') throw new Ec2Error('MissingAction', 'The request must contain the parameter Action.');
    if (who.service === 'sts') {
      if (action !== 'GetCallerIdentity') {
        return { status: 400, body: renderStsError('InvalidAction', `The action ${action} is not valid for this web service.`, 400, requestId), action, code: 'InvalidAction' };
      }
      return { status: 200, body: renderCallerIdentity(accountId, requestId), action };
    }
    return calls.run(() => runEc2(action, form, requestId).catch((e: unknown) => (e instanceof Ec2Error ? ec2Error(e, requestId, action) : Promise.reject(e))));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, hosts: HostCheck): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const startedHr = performance.now();
    const seen: Seen = {};
    let reply: Reply;
    let auth: AuthFailure | undefined;
    try {
      reply = await answer(req, requestId, hosts, seen);
    } catch (e) {
      if (e instanceof Ec2Error) {
        if (e instanceof AuthFailure) auth = e;
        reply = ec2Error(e, requestId, seen.action);
      } else {
        // Never a stack trace to the client; SDKs retry a 5xx, which is right for a fault of ours.
        logger.error({ requestId, err: e }, 'internal error');
        reply = { status: 500, body: codec.renderXmlError('InternalError', 'An internal error has occurred.', requestId), action: seen.action, code: 'InternalError' };
      }
    }
    res.writeHead(reply.status, { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
    options.onAnswered?.({ action: reply.action, status: reply.status, code: reply.code, seconds: (performance.now() - startedHr) / 1000 });
    // One line per request, whatever became of it.
    const line = {
      event: 'request',
      requestId,
      action: reply.action,
      status: reply.status,
      code: reply.code,
      authFailure: auth?.kind,
      reason: auth?.reason,
      accessKeyId: seen.accessKeyId ?? auth?.accessKeyId,
      remote: req.socket.remoteAddress,
      ms: Date.now() - started,
    };
    if (reply.status >= 500) logger.error(line, 'request failed');
    else if (auth !== undefined) logger.warn(line, `request refused: AuthFailure (${auth.reason})`);
    else if (seen.wrongHost) {
      logger.warn({ ...line, host: req.headers.host }, 'request refused: its Host is not one this server answers to (add it with --api-host)');
    } else logger.info(line, 'request');
  }

  // Known once listening (port 0 picks the port); until then (never, in practice) nothing is answered.
  let hosts: HostCheck = { accepts: () => false };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res, hosts).catch((e: unknown) => {
      logger.error({ err: e }, 'could not answer a request');
      res.destroy();
    });
  };
  const { tls } = options;
  const server: Server =
    tls === undefined ? createServer(onRequest) : createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: TLS_MIN_VERSION }, onRequest);
  const host = options.listen?.host ?? DEFAULT_LISTEN.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen?.port ?? DEFAULT_LISTEN.port, host, () => {
      hosts = hostCheck(host, (server.address() as AddressInfo).port, options.hostNames);
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `${tls === undefined ? 'http' : 'https'}://${urlHost}:${port}`,
    reloadTls() {
      if (tls === undefined) return false;
      const fresh = loadTlsFiles(tls);
      // setSecureContext replaces the whole context, the minimum version with it.
      (server as ReturnType<typeof createHttpsServer>).setSecureContext({ cert: fresh.cert, key: fresh.key, minVersion: TLS_MIN_VERSION });
      return true;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await calls.idle();
      await closed;
    },
  };
}
