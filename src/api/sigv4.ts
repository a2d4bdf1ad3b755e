// Verifies AWS Signature Version 4 on an incoming request, in both forms clients use: the
// Authorization header (SDKs, the aws CLI) and presigned query parameters (X-Amz-Signature…).
// Every failure is the one AuthFailure EC2 gives, so a caller learns nothing about which part was
// wrong; why rides along for our logs: `kind` (machine-readable, one of AUTH_FAILURE_KINDS) and
// `reason` (the detail, in words), with the access key id once the request named one.

import { timingSafeEqual } from 'node:crypto';
import { Ec2Error } from '../control/ec2-errors.js';
import {
  ALGORITHM,
  EMPTY_SHA256,
  canonicalRequest,
  headerMap,
  queryPairs,
  sha256Hex,
  signature,
  signingKey,
  stringToSign,
} from './sigv4-canonical.js';

export const AUTH_FAILURE_MESSAGE = 'AWS was not able to validate the provided access credentials';
/** EC2 answers a signature it cannot validate with HTTP 401. */
export const AUTH_FAILURE_STATUS = 401;
/** AWS refuses a signature dated more than 15 minutes from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest X-Amz-Expires AWS allows on a presigned request: 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/**
 * Why a signature was refused, for logs and alerts: `unsigned` (no Authorization header nor
 * presigned query), `missing-header` (a part the signature needs is absent), `malformed` (present
 * but not parseable), `wrong-service` (scoped to a service not served here), `stale-date` (too old,
 * in the future, or expired), `unknown-key`, `bad-signature` (the HMAC or the body hash differs).
 */
export const AUTH_FAILURE_KINDS = ['unsigned', 'missing-header', 'malformed', 'wrong-service', 'stale-date', 'unknown-key', 'bad-signature'] as const;
export type AuthFailureKind = (typeof AUTH_FAILURE_KINDS)[number];

export class AuthFailure extends Ec2Error {
  constructor(
    /** why, machine-readable, for the server log only */
    readonly kind: AuthFailureKind,
    /** why, in words, for the server log only */
    readonly reason: string,
    /** the key the request claimed, once it named one */
    readonly accessKeyId?: string,
  ) {
    super('AuthFailure', AUTH_FAILURE_MESSAGE, AUTH_FAILURE_STATUS);
  }
}

export interface IncomingSignedRequest {
  method: string;
  /** path and query exactly as on the request line */
  url: string;
  /** Node's `req.rawHeaders` */
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface VerifyOptions {
  /** the secret of an access key, or undefined when the key is unknown */
  secretFor(accessKeyId: string): string | undefined;
  /** scope services accepted, e.g. ['ec2', 'sts']; any region is */
  services: readonly string[];
  /** milliseconds since the epoch; Date.now() by default */
  now?: number;
}

export interface VerifiedRequest {
  accessKeyId: string;
  region: string;
  service: string;
  presigned: boolean;
}

interface Claim {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** seconds, presigned only */
  expires?: number;
}

const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(s: string): number {
  const m = AMZ_DATE.exec(s);
  if (m === null) throw new AuthFailure('malformed', `malformed date '${s}'`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function parseCredential(value: string): Pick<Claim, 'accessKeyId' | 'date' | 'region' | 'service'> {
  const m = CREDENTIAL.exec(value);
  if (m === null) throw new AuthFailure('malformed', `malformed credential '${value}'`);
  return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] };
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) throw new AuthFailure('malformed', `malformed SignedHeaders '${value}'`);
  return names;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (commas, with or without spaces) */
function claimFromHeader(authorization: string, headers: ReadonlyMap<string, string>): Claim {
  if (!authorization.startsWith(`${ALGORITHM} `)) throw new AuthFailure('malformed', 'not an AWS4-HMAC-SHA256 Authorization header');
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || sig === undefined) throw new AuthFailure('missing-header', 'incomplete Authorization header');
  const amzDate = headers.get('x-amz-date');
  if (amzDate === undefined) throw new AuthFailure('missing-header', 'no X-Amz-Date header');
  return { ...parseCredential(credential), signedHeaders: parseSignedHeaders(signedHeaders), signature: sig, amzDate };
}

function claimFromQuery(query: ReadonlyMap<string, string>): Claim {
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new AuthFailure('malformed', 'X-Amz-Algorithm is not AWS4-HMAC-SHA256');
  const credential = query.get('X-Amz-Credential');
  const amzDate = query.get('X-Amz-Date');
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  const sig = query.get('X-Amz-Signature');
  const expires = query.get('X-Amz-Expires');
  if (credential === undefined || amzDate === undefined || signedHeaders === undefined || sig === undefined || expires === undefined) {
    throw new AuthFailure('missing-header', 'incomplete presigned query');
  }
  if (!/^\d{1,7}$/.test(expires) || +expires < 1 || +expires > MAX_PRESIGN_SECONDS) throw new AuthFailure('malformed', `bad X-Amz-Expires '${expires}'`);
  return { ...parseCredential(credential), signedHeaders: parseSignedHeaders(signedHeaders), signature: sig, amzDate, expires: +expires };
}

function checkTime(claim: Claim, now: number): void {
  const signedAt = parseAmzDate(claim.amzDate);
  if (claim.amzDate.slice(0, 8) !== claim.date) throw new AuthFailure('stale-date', 'credential scope date differs from X-Amz-Date', claim.accessKeyId);
  if (signedAt - now > MAX_CLOCK_SKEW_MS) throw new AuthFailure('stale-date', 'signed in the future', claim.accessKeyId);
  const deadline = claim.expires === undefined ? signedAt + MAX_CLOCK_SKEW_MS : signedAt + claim.expires * 1000;
  if (now > deadline) throw new AuthFailure('stale-date', claim.expires === undefined ? 'stale signature' : 'presigned request expired', claim.accessKeyId);
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Returns who signed the request, or throws AuthFailure. */
export function verifySigV4(req: IncomingSignedRequest, options: VerifyOptions): VerifiedRequest {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const pairs = queryPairs(q < 0 ? '' : req.url.slice(q + 1));
  const query = new Map(pairs);
  const headers = headerMap(req.rawHeaders);
  const authorization = headers.get('authorization');
  const presigned = authorization === undefined && query.has('X-Amz-Signature');
  if (authorization === undefined && !presigned) throw new AuthFailure('unsigned', 'unsigned request');

  const claim = presigned ? claimFromQuery(query) : claimFromHeader(authorization as string, headers);
  if (!options.services.includes(claim.service)) throw new AuthFailure('wrong-service', `service '${claim.service}' is not served here`, claim.accessKeyId);
  // AWS requires Host to be signed: otherwise a signature could be replayed at another endpoint.
  if (!claim.signedHeaders.includes('host')) throw new AuthFailure('missing-header', 'Host is not signed', claim.accessKeyId);
  for (const name of claim.signedHeaders) if (!headers.has(name)) throw new AuthFailure('missing-header', `signed header '${name}' is missing`, claim.accessKeyId);
  checkTime(claim, options.now ?? Date.now());
  const secret = options.secretFor(claim.accessKeyId);
  if (secret === undefined) throw new AuthFailure('unknown-key', `unknown access key '${claim.accessKeyId}'`, claim.accessKeyId);

  const bodyHash = sha256Hex(req.body);
  const declared = headers.get('x-amz-content-sha256');
  if (declared !== undefined && declared !== bodyHash && !(declared === UNSIGNED_PAYLOAD && req.body.length === 0)) {
    throw new AuthFailure('bad-signature', 'x-amz-content-sha256 does not match the body', claim.accessKeyId);
  }
  // A presigned request carries no body; its signers hash either the empty body or UNSIGNED-PAYLOAD.
  const candidates = declared !== undefined ? [declared] : presigned && req.body.length === 0 ? [EMPTY_SHA256, UNSIGNED_PAYLOAD] : [bodyHash];
  const scope = `${claim.date}/${claim.region}/${claim.service}/aws4_request`;
  const key = signingKey(secret, claim.date, claim.region, claim.service);
  const unsignedQuery = presigned ? pairs.filter(([k]) => k !== 'X-Amz-Signature') : pairs;
  let ok = false;
  for (const payloadHash of candidates) {
    const canonical = canonicalRequest({ method: req.method, path, query: unsignedQuery, headers, signedHeaders: claim.signedHeaders, payloadHash });
    if (sameHex(signature(key, stringToSign(claim.amzDate, scope, canonical)), claim.signature)) ok = true;
  }
  if (!ok) throw new AuthFailure('bad-signature', 'signature does not match', claim.accessKeyId);
  return { accessKeyId: claim.accessKeyId, region: claim.region, service: claim.service, presigned };
}
