// One poll's listing → the account as a SecurityGroupService, loaded exactly as `--state` files are
// (state/state-document.ts checks the shape, importSnapshot the values).
//
// A real account can hold a record sgfw refuses (a value outside what it models). One such record
// must not freeze the whole host on stale rules, so a group, prefix list or VPC that does not load
// is left out, with a warning naming it and why, and the rest loads: a group left out takes its
// rules with it (an interface in it enforces its other groups, so less is allowed, never more), a
// prefix list left out matches nothing. An interface that does not load fails the poll instead:
// leaving it out would leave its traffic unjudged, so the state in force stays.
import { SecurityGroupService } from '../control/service.js';
import { Ec2Error } from '../model/ec2-error.js';
import type { ModelDocument } from '../model/types.js';
import { readStateDocument } from '../state/state-document.js';
import { translateListing, type Ec2Listing } from './ec2-document.js';

/** Limits for an account read from EC2: its quotas may have been raised (up to EC2's hard ceilings). */
const ACCOUNT_LIMITS = {
  inboundRulesPerGroup: 1000,
  outboundRulesPerGroup: 1000,
  groupsPerVpc: 100_000,
  groupsPerInterface: 16,
  vpcsPerRegion: 100_000,
  prefixListMaxEntries: 1000,
};

/** At most this many records left out in one poll: past it, the listing is not the account any more. */
const MAX_LEFT_OUT = 50;

/** The account a document holds, loaded as `--state` files are. Ec2Error (with its path) when sgfw cannot load it. */
export function accountService(document: ModelDocument, region: string): SecurityGroupService {
  const service = new SecurityGroupService({ ruleIdsFromContent: true, region, limits: ACCOUNT_LIMITS });
  service.importSnapshot(structuredClone(document));
  return service;
}

/** What went wrong loading, with where: `SecurityGroups[3].IpPermissions[0]: InvalidParameterValue: …`. */
export function loadProblem(e: unknown): string {
  if (e instanceof Ec2Error) {
    const path = (e as Ec2Error & { path?: unknown }).path;
    return `${typeof path === 'string' ? `${path}: ` : ''}${e.code}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function pathOf(e: unknown): string {
  const path = (e as { path?: unknown } | null)?.path;
  return typeof path === 'string' ? path : '';
}

export interface LoadedAccount {
  readonly account: SecurityGroupService;
  readonly document: ModelDocument;
  readonly warnings: string[];
}

/** The listing loaded, leaving out the groups, prefix lists and VPCs that do not load (see above). Throws for the rest. */
export function loadListing(listing: Ec2Listing, region: string): LoadedAccount {
  let current = listing;
  const leftOut: string[] = [];
  for (;;) {
    const translated = translateListing(current);
    try {
      const document = readStateDocument(translated.document);
      return { account: accountService(document, region), document, warnings: [...translated.warnings, ...leftOut] };
    } catch (e) {
      const m = /^\.?(SecurityGroups|PrefixLists|Vpcs)\[(\d+)\]/.exec(pathOf(e));
      if (m === null || leftOut.length >= MAX_LEFT_OUT) throw e;
      const i = Number(m[2]);
      if (m[1] === 'SecurityGroups') {
        leftOut.push(`group ${current.securityGroups[i]?.GroupId} left out, its rules not enforced: ${loadProblem(e)}`);
        current = { ...current, securityGroups: current.securityGroups.filter((_, j) => j !== i) };
      } else if (m[1] === 'PrefixLists') {
        leftOut.push(`prefix list ${current.prefixLists[i]?.list.PrefixListId} left out, rules naming it match nothing: ${loadProblem(e)}`);
        current = { ...current, prefixLists: current.prefixLists.filter((_, j) => j !== i) };
      } else {
        leftOut.push(`VPC ${current.vpcs[i]?.VpcId} left out: ${loadProblem(e)}`);
        current = { ...current, vpcs: current.vpcs.filter((_, j) => j !== i) };
      }
    }
  }
}
