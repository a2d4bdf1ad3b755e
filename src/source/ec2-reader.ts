// Reads an EC2 endpoint for `sgfw run --source ec2`: security groups, network interfaces, VPCs and
// managed prefix lists (with the entries of those the rules name), every call paginated to the end.
// Read-only by construction: the only commands this file imports are Describe* and Get*, and it
// is the only file of the source that talks to EC2.
//
// The client takes what any AWS tool takes: the default credential chain (environment, shared
// config and credentials files, SSO, web identity, ECS and instance roles), the region from the
// flag or the chain, and the endpoint from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL (the SDK reads
// them itself). Throttling (RequestLimitExceeded) is retried with backoff by the SDK's standard
// retry strategy within a poll, and reported to the poller, which then waits longer between polls.
//
// Prefix-list entries are read again only when the list's Version moved: a list's entries change
// only with its version, so a steady account costs one DescribeManagedPrefixLists per poll.
import {
  EC2Client,
  paginateDescribeManagedPrefixLists,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  paginateDescribeVpcs,
  paginateGetManagedPrefixListEntries,
  type Filter,
  type ManagedPrefixList,
  type PrefixListEntry,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { missingGroups, referencedPrefixLists, type Ec2Listing } from './ec2-document.js';
import { readError } from './ec2-read-error.js';

export interface Ec2ReaderOptions {
  /** undefined: the region of the default chain (AWS_REGION, the config file) */
  readonly region?: string;
  /** EC2 filters given to DescribeSecurityGroups, DescribeNetworkInterfaces and DescribeVpcs */
  readonly filters: readonly Filter[];
  /** a client to use instead of one built from the default chain (tests) */
  readonly client?: EC2Client;
  /** per-request timeout, ms (default 20 s): a blackholed endpoint fails a poll instead of hanging it */
  readonly requestTimeoutMs?: number;
  /** MaxResults of every page (default: the endpoint's own page size) */
  readonly pageSize?: number;
}

/** Describe calls take at most this many group ids in one `group-id` filter here. */
const IDS_PER_CALL = 200;

export class Ec2Reader {
  readonly client: EC2Client;
  /** prefix-list entries by list id, with the version they belong to */
  private readonly entries = new Map<string, { version: number | undefined; entries: readonly PrefixListEntry[] }>();
  /** calls made, for metrics */
  calls = 0;

  constructor(private readonly options: Ec2ReaderOptions) {
    const timeout = options.requestTimeoutMs ?? 20_000;
    this.client = options.client ?? new EC2Client({
      ...(options.region === undefined ? {} : { region: options.region }),
      requestHandler: { connectionTimeout: Math.min(timeout, 5000), requestTimeout: timeout },
    });
  }

  /** The region the client signs for; rejects when neither the flag nor the chain gives one. */
  region(): Promise<string> {
    return this.client.config.region();
  }

  /** The endpoint the client sends to (AWS_ENDPOINT_URL_EC2 when set), for logs (an endpoint_url in the config file is not shown). */
  async endpoint(): Promise<string> {
    const ep = this.client.config.endpoint;
    if (ep !== undefined) {
      const e = await ep();
      return `${e.protocol}//${e.hostname}${e.port === undefined ? '' : `:${e.port}`}${e.path}`;
    }
    // The SDK resolves these at each request (not into config.endpoint): the same order, for the log.
    const env = process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL;
    if (env !== undefined && env !== '') return env;
    return `https://ec2.${await this.region()}.amazonaws.com`;
  }

  private paging(): { client: EC2Client; pageSize?: number } {
    return this.options.pageSize === undefined ? { client: this.client } : { client: this.client, pageSize: this.options.pageSize };
  }

  /** Everything one poll needs. Ec2ReadError on any failure (the caller keeps what it had). */
  async read(): Promise<Ec2Listing> {
    try {
      return await this.readAll();
    } catch (e) {
      throw readError(e);
    }
  }

  private async readAll(): Promise<Ec2Listing> {
    const filters = this.options.filters.length === 0 ? undefined : [...this.options.filters];
    const [securityGroups, networkInterfaces, vpcs, lists] = await Promise.all([
      this.collect(paginateDescribeSecurityGroups(this.paging(), { Filters: filters }), (p) => p.SecurityGroups),
      this.collect(paginateDescribeNetworkInterfaces(this.paging(), { Filters: filters }), (p) => p.NetworkInterfaces),
      this.collect(paginateDescribeVpcs(this.paging(), { Filters: filters }), (p) => p.Vpcs),
      this.collect(paginateDescribeManagedPrefixLists(this.paging(), {}), (p) => p.PrefixLists),
    ]);
    const groups = [...securityGroups];
    const missing = missingGroups(groups, networkInterfaces);
    for (let i = 0; i < missing.length; i += IDS_PER_CALL) groups.push(...(await this.groupsById(missing.slice(i, i + IDS_PER_CALL))));
    this.forgetExcept(new Set(lists.map((l) => l.PrefixListId ?? '')));
    const referenced = referencedPrefixLists(groups);
    const prefixLists = await Promise.all(
      lists.map(async (list) => ({ list, entries: referenced.has(list.PrefixListId ?? '') ? await this.entriesOf(list) : undefined })),
    );
    return { securityGroups: groups, networkInterfaces, prefixLists, vpcs };
  }

  /** Groups an interface uses but the filters left out, by `group-id` (not GroupIds: one unknown id would fail the call). */
  private groupsById(ids: string[]): Promise<SecurityGroup[]> {
    return this.collect(paginateDescribeSecurityGroups(this.paging(), { Filters: [{ Name: 'group-id', Values: ids }] }), (p) => p.SecurityGroups);
  }

  private async entriesOf(list: ManagedPrefixList): Promise<readonly PrefixListEntry[]> {
    const id = list.PrefixListId!;
    const held = this.entries.get(id);
    if (held !== undefined && held.version !== undefined && held.version === list.Version) return held.entries;
    const entries = await this.collect(paginateGetManagedPrefixListEntries(this.paging(), { PrefixListId: id }), (p) => p.Entries);
    this.entries.set(id, { version: list.Version, entries });
    return entries;
  }

  private async collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
    const out: T[] = [];
    for await (const page of pages) {
      this.calls++;
      out.push(...(items(page) ?? []));
    }
    return out;
  }

  /** Forgets cached entries of lists no longer there. */
  private forgetExcept(ids: ReadonlySet<string>): void {
    for (const id of [...this.entries.keys()]) if (!ids.has(id)) this.entries.delete(id);
  }

  close(): void {
    this.client.destroy();
  }
}
