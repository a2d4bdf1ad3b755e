// MaxResults / NextToken for the describe actions EC2 paginates.
//
// A token names the last item the previous page returned, not a position: pages of a paginated
// call are in the order of each item's key (its id), and the next page starts after the key in the
// token. So a page never repeats an item and never skips one that existed throughout, whatever was
// created or deleted between the calls (an item created meanwhile shows up only if its key sorts
// after the token). Without MaxResults and NextToken the answer is one page in the service's own
// order, as before.
//
// The token is opaque to clients: `v1.` + base64url of JSON {a: action, k: last key}. One that does
// not decode, or was issued by another action, is refused as EC2 refuses a bad token.
import { Ec2Error } from '../model/ec2-error.js';
import { shown } from '../model/shown.js';

export interface PageLimits {
  /** the EC2 action, bound into the token */
  readonly action: string;
  readonly min: number;
  readonly max: number;
  /** EC2's ids parameter that cannot be combined with MaxResults (DescribeNetworkInterfaces) */
  readonly exclusiveIds?: { readonly wireName: string; readonly given: boolean };
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

const TOKEN_PREFIX = 'v1.';

function invalidToken(token: string): Ec2Error {
  // EC2's wording (seen from DescribeVpcs): "Value ( x ) for parameter NextToken is invalid. The token is invalid."
  return new Ec2Error('InvalidParameterValue', `Value ( ${token} ) for parameter NextToken is invalid. The token is invalid.`);
}

export function encodeToken(action: string, lastKey: string): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify({ a: action, k: lastKey }), 'utf8').toString('base64url');
}

/** The last key a token carries; InvalidParameterValue when it is not one of ours for `action`. */
export function decodeToken(action: string, token: unknown): string {
  if (typeof token !== 'string') throw invalidToken(shown(token));
  if (!token.startsWith(TOKEN_PREFIX)) throw invalidToken(token);
  const body = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw invalidToken(token);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken(token);
  }
  const p = parsed as { a?: unknown; k?: unknown } | null;
  if (typeof p !== 'object' || p === null || p.a !== action || typeof p.k !== 'string') throw invalidToken(token);
  return p.k;
}

/** Checks MaxResults against the action's range, with EC2's message. */
export function checkMaxResults(value: unknown, limits: PageLimits): number | undefined {
  if (value === undefined) return undefined;
  if (limits.exclusiveIds?.given) {
    throw new Ec2Error('InvalidParameterCombination', `The parameter ${limits.exclusiveIds.wireName} cannot be used with the parameter maxResults`);
  }
  const n = typeof value === 'number' ? value : Number.NaN;
  if (!Number.isInteger(n) || n < limits.min) {
    throw new Ec2Error('InvalidParameterValue', `Value ( ${shown(value)} ) for parameter maxResults is invalid. Expecting a value greater than ${limits.min}.`);
  }
  if (n > limits.max) {
    throw new Ec2Error('InvalidParameterValue', `Value ( ${shown(value)} ) for parameter maxResults is invalid. Expecting a value less than ${limits.max}.`);
  }
  return n;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One page of `items` for a request's MaxResults and NextToken. Validates both even when the list is
 * empty, so a bad request fails the same way whatever the state. An empty NextToken counts as none
 * (boto3 and the CLI send it that way on a first call).
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, params: { MaxResults?: unknown; NextToken?: unknown }, limits: PageLimits): Page<T> {
  const max = checkMaxResults(params.MaxResults, limits);
  const token = params.NextToken === '' ? undefined : params.NextToken;
  const after = token === undefined ? undefined : decodeToken(limits.action, token);
  if (max === undefined && after === undefined) return { items: [...items] };
  let sorted = [...items].sort((x, y) => compareKeys(keyOf(x), keyOf(y)));
  if (after !== undefined) sorted = sorted.filter((x) => compareKeys(keyOf(x), after) > 0);
  if (max === undefined || sorted.length <= max) return { items: sorted };
  const page = sorted.slice(0, max);
  return { items: page, nextToken: encodeToken(limits.action, keyOf(page[page.length - 1]!)) };
}

/** The actions' MaxResults ranges, from EC2's API reference (botocore's model where it has min/max). */
export const PAGE_RANGES = {
  DescribeSecurityGroups: { min: 5, max: 1000 },
  DescribeSecurityGroupRules: { min: 5, max: 1000 },
  DescribeTags: { min: 5, max: 1000 },
  DescribeVpcs: { min: 5, max: 1000 },
  DescribeNetworkInterfaces: { min: 5, max: 1000 },
  DescribeSubnets: { min: 5, max: 1000 },
  // the reference gives no range; EC2's usual 5–1000 is applied
  DescribePrefixLists: { min: 5, max: 1000 },
  DescribeManagedPrefixLists: { min: 1, max: 100 },
  GetManagedPrefixListEntries: { min: 1, max: 100 },
  DescribeStaleSecurityGroups: { min: 5, max: 255 },
} as const;

export type PaginatedAction = keyof typeof PAGE_RANGES;

export function pageLimits(action: PaginatedAction, exclusiveIds?: PageLimits['exclusiveIds']): PageLimits {
  return { action, ...PAGE_RANGES[action], ...(exclusiveIds !== undefined ? { exclusiveIds } : {}) };
}

/** `{ [listKey]: items, NextToken? }` as the describe results print it. */
export function withNextToken<K extends string, T>(listKey: K, page: Page<T>): Record<K, T[]> & { NextToken?: string } {
  const out = { [listKey]: page.items } as Record<K, T[]> & { NextToken?: string };
  if (page.nextToken !== undefined) out.NextToken = page.nextToken;
  return out;
}
