// The AWS-managed prefix lists a region has, for DescribePrefixLists and (owned by `AWS`, as EC2
// describes them) DescribeManagedPrefixLists and GetManagedPrefixListEntries. STAND-INS: sgfw cannot know the
// address ranges AWS publishes for its services, so each list holds documentation ranges (RFC 5737
// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) in place of the real ones, and its id is derived
// from its name (`pl-` + 8 hex digits of an FNV-1a hash), not AWS's. Clients can find, name and
// reference them, but no real S3 or DynamoDB address is in them.
//
// Rules may reference them (`PrefixListIds: [{ PrefixListId }]`, as for S3 gateway endpoints); the
// dataplane then enforces the stand-in ranges. They are not in state documents or the tag actions,
// and Modify/DeleteManagedPrefixList refuse them: they are fixed, owned by `AWS`, and rebuilt from
// the region.
//
// The service has no region (the API server does not pass the signature's region to `call`), so the
// lists are those of `us-east-1` unless the service is made with another region.

import type { PrefixListRecord } from './records.js';

export const STAND_IN_SERVICES: readonly { service: string; cidrs: readonly string[] }[] = [
  { service: 's3', cidrs: ['192.0.2.0/25', '198.51.100.0/25'] },
  { service: 'dynamodb', cidrs: ['192.0.2.128/25', '203.0.113.0/25'] },
];

export const DEFAULT_REGION = 'us-east-1';

export interface AwsPrefixList {
  PrefixListId: string;
  PrefixListName: string;
  Cidrs: string[];
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function awsPrefixLists(region: string): AwsPrefixList[] {
  return STAND_IN_SERVICES.map(({ service, cidrs }) => {
    const name = `com.amazonaws.${region}.${service}`;
    return { PrefixListId: `pl-${fnv1a(name).toString(16).padStart(8, '0')}`, PrefixListName: name, Cidrs: [...cidrs] };
  });
}

/** The lists as the records a rule reference resolves to (owner `AWS`, version 1, never changed). */
export function awsPrefixListRecords(region: string): ReadonlyMap<string, PrefixListRecord> {
  return new Map(awsPrefixLists(region).map((p) => [p.PrefixListId, {
    prefixListId: p.PrefixListId, name: p.PrefixListName, addressFamily: 'IPv4' as const, version: 1, maxEntries: p.Cidrs.length,
    ownerId: 'AWS', tags: [], entries: p.Cidrs.map((cidr) => ({ cidr })), history: new Map(),
  }]));
}

export function awsPrefixListFields(p: AwsPrefixList, name: string): readonly string[] | undefined {
  if (name === 'prefix-list-id') return [p.PrefixListId];
  if (name === 'prefix-list-name') return [p.PrefixListName];
  return undefined;
}
