// Verifies AWS Signature Version 4 on an incoming request, in both forms clients use: the
// Authorization header (SDKs, the aws CLI) and presigned query parameters (X-Amz-Signature…).
// Every failure is the one AuthFailure EC2 gives, so a caller learns nothing about which part was
// wrong; the precise reason rides along in `reason` for our logs.

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

export class AuthFailure extends Ec2Error {
  /** why, for the server log only */
  readonly reason: string;
  constructor(reason: string) {
    super('AuthFailure', AUTH_FAILURE_MESSAGE, AUTH_FAILURE_STATUS);
    this.reason = reason;
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
  if (m === null) throw new AuthFailure(`malformed date '${s}'`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function parseCredential(value: string): Pick<Claim, 'accessKeyId' | 'date' | 'region' | 'service'> {
  const m = CREDENTIAL.exec(value);
  if (m === null) throw new AuthFailure(`malformed credential '${value}'`);
  return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] };
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) throw new AuthFailure(`malformed SignedHeaders '${value}'`);
  return names;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (commas, with or without spaces) */
function claimFromHeader(authorization: string, headers: ReadonlyMap<string, string>): Claim {
  if (!authorization.startsWith(`${ALGORITHM} `)) throw new AuthFailure('not an AWS4-HMAC-SHA256 Authorization header');
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || sig === undefined) throw new AuthFailure('incomplete Authorization header');
  const amzDate = headers.get('x-amz-date');
  if (amzDate === undefined) throw new AuthFailure('no X-Amz-Date header');
  return { ...parseCredential(credential), signedHeaders: parseSignedHeaders(signedHeaders), signature: sig, amzDate };
}

function claimFromQuery(query: ReadonlyMap<string, string>): Claim {
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new AuthFailure('X-Amz-Algorithm is not AWS4-HMAC-SHA256');
  const credential = query.get('X-Amz-Credential');
  const amzDate = query.get('X-Amz-Date');
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  const sig = query.get('X-Amz-Signature');
  const expires = query.get('X-Amz-Expires');
  if (credential === undefined || amzDate === undefined || signedHeaders === undefined || sig === undefined || expires === undefined) {
    throw new AuthFailure('incomplete presigned query');
  }
  if (!/^\d{1,7}$/.test(expires) || +expires < 1 || +expires > MAX_PRESIGN_SECONDS) throw new AuthFailure(`bad X-Amz-Expires '${expires}'`);
  return { ...parseCredential(credential), signedHeaders: parseSignedHeaders(signedHeaders), signature: sig, amzDate, expires: +expires };
}

function checkTime(claim: Claim, now: number): void {
  const signedAt = parseAmzDate(claim.amzDate);
  if (claim.amzDate.slice(0, 8) !== claim.date) throw new AuthFailure('credential scope date differs from X-Amz-Date');
  if (signedAt - now > MAX_CLOCK_SKEW_MS) throw new AuthFailure('signed in the future');
  const deadline = claim.expires === undefined ? signedAt + MAX_CLOCK_SKEW_MS : signedAt + claim.expires * 1000;
  if (now > deadline) throw new AuthFailure(claim.expires === undefined ? 'stale signature' : 'presigned request expired');
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
  if (authorization === undefined && !presigned) throw new AuthFailure('unsigned request');

  const claim = presigned ? claimFromQuery(query) : claimFromHeader(authorization as string, headers);
  if (!options.services.includes(claim.service)) throw new AuthFailure(`service '${claim.service}' is not served here`);
  // AWS requires Host to be signed: otherwise a signature could be replayed at another endpoint.
  if (!claim.signedHeaders.includes('host')) throw new AuthFailure('Host is not signed');
  for (const name of claim.signedHeaders) if (!headers.has(name)) throw new AuthFailure(`signed header '${name}' is missing`);
  checkTime(claim, options.now ?? Date.now());
  const secret = options.secretFor(claim.accessKeyId);
  if (secret === undefined) throw new AuthFailure(`unknown access key '${claim.accessKeyId}'`);

  const bodyHash = sha256Hex(req.body);
  const declared = headers.get('x-amz-content-sha256');
  if (declared !== undefined && declared !== bodyHash && !(declared === UNSIGNED_PAYLOAD && req.body.length === 0)) {
    throw new AuthFailure('x-amz-content-sha256 does not match the body');
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
  if (!ok) throw new AuthFailure('signature does not match');
  return { accessKeyId: claim.accessKeyId, region: claim.region, service: claim.service, presigned };
}
