// The pieces of AWS Signature Version 4 that both sides compute the same way: the canonical
// request, the string to sign, the signing key and the signature (AWS General Reference, "Create a
// canonical request for Signature Version 4"). Kept apart from verification so the test vectors of
// the AWS SigV4 test suite can check each step on its own.

import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 percent-encoding as SigV4 wants it: every byte but the unreserved set, uppercase hex. */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === '.' || c === '~' || (keepSlash && c === '/')) {
      out += c;
    } else {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** Percent-decoding that leaves a malformed escape as it is instead of throwing. */
function uriDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The canonical URI of a path as it came on the wire. Services other than S3 normalize the path
 * (RFC 3986 §5.2.4 dot segments, empty segments) and encode each segment; decoding the wire form
 * first makes `/%E1%88%B4` and `/ሴ` the same path, as the test suite's get-utf8 expects.
 */
export function canonicalUri(wirePath: string): string {
  const out: string[] = [];
  for (const raw of wirePath.split('/')) {
    const segment = uriDecode(raw);
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(uriEncode(segment));
  }
  const trailing = out.length > 0 && /\/\.{0,2}$/.test(wirePath) ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

/** Pairs of a raw query string, decoded (`+` stays a plus: SigV4 clients encode a space as %20). */
export function queryPairs(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([uriDecode(key), uriDecode(value)]);
  }
  return pairs;
}

/** Encoded `name=value` pairs sorted by name, then value (byte order of the encoded forms). */
export function canonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  const encoded = pairs.map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Header values by lowercase name from Node's `rawHeaders` (name, value, name, value…): repeated
 * headers join with a comma, values are trimmed and inner runs of spaces collapse to one.
 */
export function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    const seen = map.get(name);
    map.set(name, seen === undefined ? value : `${seen},${value}`);
  }
  return map;
}

export interface CanonicalParts {
  method: string;
  /** the path as on the wire, percent-encoded */
  path: string;
  /** decoded query pairs, without X-Amz-Signature */
  query: readonly (readonly [string, string])[];
  headers: ReadonlyMap<string, string>;
  /** lowercase names, sorted, as in SignedHeaders */
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalParts): string {
  const headerLines = p.signedHeaders.map((h) => `${h}:${p.headers.get(h) ?? ''}\n`).join('');
  return [p.method.toUpperCase(), canonicalUri(p.path), canonicalQuery(p.query), headerLines, p.signedHeaders.join(';'), p.payloadHash].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function signature(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}
