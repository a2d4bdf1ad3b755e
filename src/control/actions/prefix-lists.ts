// Prefix list actions: the customer-managed lists (Create/Modify/Delete/DescribeManagedPrefixLists,
// GetManagedPrefixListEntries) and the region's AWS-managed ones (DescribePrefixLists, stand-ins:
// see ../aws-prefix-lists.ts; DescribeManagedPrefixLists and GetManagedPrefixListEntries show them
// too, owned by `AWS`, as EC2 does, and they cannot be changed). A prefix list referenced by a rule
// cannot be deleted (DependencyViolation); a referenced list counts as its MaxEntries rules against
// the rules-per-group quota, as in EC2, so changing MaxEntries rechecks the groups that use it.
import { Ec2Error, Ec2PathError } from '../../model/ec2-error.js';
import { Ec2Errors } from '../../model/errors.js';
import { checkPrefixListId } from '../../model/ids.js';
import { checkRuleDescription } from '../../model/names.js';
import { parseCidr } from '../../model/cidr.js';
import type { ActionContext } from '../action-context.js';
import type { ModelState, PrefixListEntryRecord, PrefixListRecord, RuleRecord } from '../records.js';
import { asParams, stringList } from '../params.js';
import { renderEntries, renderPrefixList } from '../render.js';
import { checkFilterIds, checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { PREFIX_LIST_ID_FILTERS, prefixListFields } from '../describe-fields.js';
import { tagsFromSpecifications } from '../tagging.js';
import { awsPrefixListFields, awsPrefixLists, type AwsPrefixList } from '../aws-prefix-lists.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { checkRuleQuota } from './rules.js';
import { shown } from '../../model/shown.js';

/** A list to read: the account's own or one of the region's AWS-managed lists (owner `AWS`), as in EC2. */
function prefixListById(d: ModelState, id: unknown): PrefixListRecord {
  if (id === undefined) throw Ec2Errors.missingParameter('PrefixListId');
  checkPrefixListId(id);
  const pl = d.referenceablePrefixList(id);
  if (pl === undefined) throw Ec2Errors.prefixListNotFound(id);
  return pl;
}

/** A list to change: the account's own; "you cannot create, modify, share, or delete an AWS-managed prefix list". */
function ownPrefixListById(d: ModelState, id: unknown): PrefixListRecord {
  const pl = prefixListById(d, id);
  if (!d.prefixLists.has(pl.prefixListId)) throw Ec2Errors.awsManagedPrefixList(pl.prefixListId);
  return pl;
}

/** Checks entries for a list of `family` (CreateManagedPrefixList, ModifyManagedPrefixList, snapshot import). */
export function parseEntries(entries: unknown, family: 'IPv4' | 'IPv6', pathOf?: (i: number) => string): PrefixListEntryRecord[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw Ec2Errors.invalidParameterValue('Entries must be a list');
  const out: PrefixListEntryRecord[] = [];
  entries.forEach((e: { Cidr?: unknown; Description?: unknown }, i) => {
    const wrap = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        if (pathOf !== undefined && err instanceof Ec2Error) throw new Ec2PathError(err, pathOf(i));
        throw err;
      }
    };
    wrap(() => {
      const cidr = parseCidr(e?.Cidr, family === 'IPv4' ? 4 : 6).text;
      const description = checkRuleDescription(e.Description);
      if (out.some((x) => x.cidr === cidr)) throw Ec2Errors.invalidParameterValue(`The CIDR ${cidr} is listed more than once.`);
      out.push({ cidr, ...(description !== undefined ? { description } : {}) });
    });
  });
  return out;
}

/** EC2 takes at most 100 entries to add (or remove) in one request, whatever the list's size. */
const ENTRIES_PER_REQUEST = 100;

function checkEntriesPerRequest(entries: unknown): void {
  if (Array.isArray(entries) && entries.length > ENTRIES_PER_REQUEST) throw Ec2Errors.prefixListEntriesPerRequest(ENTRIES_PER_REQUEST);
}

/** A MaxEntries within the service's ceiling. */
export function checkMaxEntries(ctx: ActionContext, v: unknown): number {
  if (v === undefined) throw Ec2Errors.missingParameter('MaxEntries');
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > ctx.limits.prefixListMaxEntries) {
    throw Ec2Errors.prefixListMaxSize(ctx.limits.prefixListMaxEntries);
  }
  return v;
}

export function createManagedPrefixList(ctx: ActionContext, params: unknown): { PrefixList: ReturnType<typeof renderPrefixList> } {
  const p = asParams(params);
  return ctx.mutate('CreateManagedPrefixList', (d, change) => {
    const name = p.PrefixListName;
    if (typeof name !== 'string' || name === '') throw Ec2Errors.missingParameter('PrefixListName');
    if (name.length > 255) throw Ec2Errors.invalidParameterValue('PrefixListName must be at most 255 characters.');
    const family = p.AddressFamily;
    if (family !== 'IPv4' && family !== 'IPv6') {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${shown(family)}' for AddressFamily. Must be IPv4 or IPv6.`);
    }
    const maxEntries = checkMaxEntries(ctx, p.MaxEntries);
    checkEntriesPerRequest(p.Entries);
    const prefixListId = ctx.newId('pl');
    const entries = parseEntries(p.Entries, family);
    if (entries.length > maxEntries) throw Ec2Errors.prefixListMaxEntries(prefixListId, maxEntries);
    const record: PrefixListRecord = {
      prefixListId, name, addressFamily: family, version: 1, maxEntries, ownerId: ctx.accountId,
      tags: tagsFromSpecifications(p.TagSpecifications, 'prefix-list', prefixListId), entries, history: new Map(),
    };
    d.prefixLists.set(prefixListId, record);
    change.prefixListIds.add(prefixListId);
    return { PrefixList: renderPrefixList(record, 'create-complete', ctx.region) };
  });
}

export function modifyManagedPrefixList(ctx: ActionContext, params: unknown): { PrefixList: ReturnType<typeof renderPrefixList> } {
  const p = asParams(params);
  return ctx.mutate('ModifyManagedPrefixList', (d, change) => {
    const pl = ownPrefixListById(d, p.PrefixListId);
    if (p.CurrentVersion !== undefined && p.CurrentVersion !== pl.version) {
      throw Ec2Errors.prefixListVersionMismatch(pl.prefixListId, pl.version, Number(p.CurrentVersion));
    }
    checkEntriesPerRequest(p.AddEntries);
    checkEntriesPerRequest(p.RemoveEntries);
    const add = parseEntries(p.AddEntries, pl.addressFamily);
    if ((add.length > 0 || p.RemoveEntries !== undefined) && p.CurrentVersion === undefined) {
      // EC2: "CurrentVersion … is required if you specify entries to add or remove"
      throw Ec2Errors.missingParameter('CurrentVersion');
    }
    const entries = new Map(pl.entries.map((e) => [e.cidr, e] as const));
    if (p.RemoveEntries !== undefined) {
      if (!Array.isArray(p.RemoveEntries)) throw Ec2Errors.invalidParameterValue('RemoveEntries must be a list');
      for (const r of p.RemoveEntries as { Cidr?: unknown }[]) {
        const cidr = parseCidr(r?.Cidr, pl.addressFamily === 'IPv4' ? 4 : 6).text;
        if (!entries.delete(cidr)) throw Ec2Errors.invalidParameterValue(`The CIDR ${cidr} is not an entry of ${pl.prefixListId}.`);
      }
    }
    // Adding a CIDR that is already there replaces its description, as EC2 does.
    for (const e of add) entries.set(e.cidr, e);
    const maxEntries = p.MaxEntries === undefined ? pl.maxEntries : checkMaxEntries(ctx, p.MaxEntries);
    if (entries.size > maxEntries) throw Ec2Errors.prefixListMaxEntries(pl.prefixListId, maxEntries);
    let name = pl.name;
    if (p.PrefixListName !== undefined) {
      if (typeof p.PrefixListName !== 'string' || p.PrefixListName === '' || p.PrefixListName.length > 255) {
        throw Ec2Errors.invalidParameterValue('PrefixListName must be 1 to 255 characters.');
      }
      name = p.PrefixListName;
    }
    const entriesChanged = add.length > 0 || p.RemoveEntries !== undefined;
    const history = new Map(pl.history);
    if (entriesChanged) history.set(pl.version, pl.entries);
    const next: PrefixListRecord = {
      ...pl, name, maxEntries, entries: [...entries.values()], history,
      version: entriesChanged ? pl.version + 1 : pl.version,
    };
    d.prefixLists.set(pl.prefixListId, next);
    change.prefixListIds.add(pl.prefixListId);
    for (const g of d.groups.values()) {
      const uses = (r: RuleRecord) => r.peer.kind === 'prefix-list' && r.peer.prefixListId === pl.prefixListId;
      if (!g.ingress.some(uses) && !g.egress.some(uses)) continue;
      change.groupIds.add(g.groupId);
      if (maxEntries !== pl.maxEntries) {
        checkRuleQuota(ctx, d, g.ingress, false);
        checkRuleQuota(ctx, d, g.egress, true);
      }
    }
    return { PrefixList: renderPrefixList(next, 'modify-complete', ctx.region) };
  });
}

export function getManagedPrefixListEntries(ctx: ActionContext, params: unknown): { Entries: ReturnType<typeof renderEntries>; NextToken?: string } {
  const p = asParams(params);
  const pl = prefixListById(ctx.state, p.PrefixListId);
  let entries = pl.entries;
  if (p.TargetVersion !== undefined && p.TargetVersion !== pl.version) {
    const old = typeof p.TargetVersion === 'number' ? pl.history.get(p.TargetVersion) : undefined;
    if (old === undefined) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${shown(p.TargetVersion)}' for TargetVersion of ${pl.prefixListId}.`);
    }
    entries = old;
  }
  return withNextToken('Entries', paginate(renderEntries(entries), (e) => e.Cidr, p, pageLimits('GetManagedPrefixListEntries')));
}

export function describeManagedPrefixLists(ctx: ActionContext, params?: unknown): { PrefixLists: ReturnType<typeof renderPrefixList>[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  checkFilterNames(filters, (n) => prefixListFields({ tags: [] } as unknown as PrefixListRecord, n) !== undefined);
  checkFilterIds(filters, PREFIX_LIST_ID_FILTERS);
  const ids = stringList(p.PrefixListIds, 'PrefixListIds');
  // EC2 lists the region's AWS-managed lists here too, with OwnerId `AWS` (filter `owner-id`)
  const candidates = ids.length > 0 ? ids.map((id) => prefixListById(d, id)) : [...d.prefixLists.values(), ...d.awsPrefixLists.values()];
  const matched = candidates.filter((pl) => matchesFilters(pl, filters, prefixListFields));
  const page = paginate(matched, (pl) => pl.prefixListId, p, pageLimits('DescribeManagedPrefixLists'));
  return withNextToken('PrefixLists', { ...page, items: page.items.map((pl) => renderPrefixList(pl, undefined, ctx.region)) });
}

export function deleteManagedPrefixList(ctx: ActionContext, params: unknown): { PrefixList: ReturnType<typeof renderPrefixList> } {
  const p = asParams(params);
  return ctx.mutate('DeleteManagedPrefixList', (d, change) => {
    const pl = ownPrefixListById(d, p.PrefixListId);
    for (const g of d.groups.values()) {
      for (const r of [...g.ingress, ...g.egress]) {
        if (r.peer.kind === 'prefix-list' && r.peer.prefixListId === pl.prefixListId) {
          throw Ec2Errors.dependencyViolation(pl.prefixListId);
        }
      }
    }
    d.prefixLists.delete(pl.prefixListId);
    change.prefixListIds.add(pl.prefixListId);
    return { PrefixList: renderPrefixList(pl, 'delete-complete', ctx.region) };
  });
}

/** The AWS-managed prefix lists of the service's region (stand-ins: see aws-prefix-lists.ts). */
export function describePrefixLists(ctx: ActionContext, params?: unknown): { PrefixLists: AwsPrefixList[]; NextToken?: string } {
  const p = asParams(params);
  const filters = compileFilters(p.Filters);
  checkFilterNames(filters, (n) => n === 'prefix-list-id' || n === 'prefix-list-name');
  checkFilterIds(filters, PREFIX_LIST_ID_FILTERS);
  const lists = awsPrefixLists(ctx.region);
  const ids = stringList(p.PrefixListIds, 'PrefixListIds');
  for (const id of ids) {
    checkPrefixListId(id);
    if (!lists.some((l) => l.PrefixListId === id)) throw Ec2Errors.prefixListNotFound(id);
  }
  const matched = lists.filter((l) => (ids.length === 0 || ids.includes(l.PrefixListId)) && matchesFilters(l, filters, awsPrefixListFields));
  return withNextToken('PrefixLists', paginate(matched, (l) => l.PrefixListId, p, pageLimits('DescribePrefixLists')));
}
