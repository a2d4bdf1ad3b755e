// Tag actions: CreateTags, DeleteTags, DescribeTags over security groups, their rules, managed
// prefix lists and VPCs. Tags change no rule, so their changes list nothing for the dataplane to
// recompile. (The tag rules themselves, EC2's limits and TagSpecifications, are ../tagging.ts.)
import type { Tag } from '../../model/types.js';
import { Ec2Errors } from '../../model/errors.js';
import type { ActionContext } from '../action-context.js';
import type { ModelState } from '../records.js';
import { asParams, stringList } from '../params.js';
import { checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { checkTag, mergeTags, removeTags, setTags, tagDescriptionFields, taggedResource, type TagDescription } from '../tagging.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { vpcKnown } from './vpcs.js';

function resourcesOf(ctx: ActionContext, d: ModelState, v: unknown) {
  const ids = stringList(v, 'Resources');
  if (ids.length === 0) throw Ec2Errors.missingParameter('ResourceId');
  return ids.map((id) => taggedResource(d, id, (x) => vpcKnown(ctx, d, x), (x) => d.vpcs.get(x)?.tags ?? []));
}

export function createTags(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('CreateTags', (d) => {
    if (!Array.isArray(p.Tags) || p.Tags.length === 0) throw Ec2Errors.missingParameter('Tag');
    const add = (p.Tags as unknown[]).map(checkTag);
    for (const r of resourcesOf(ctx, d, p.Resources)) setTags(d, r, mergeTags(r.tags, add, r.id));
    return { Return: true as const };
  });
}

export function deleteTags(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('DeleteTags', (d) => {
    for (const r of resourcesOf(ctx, d, p.Resources)) setTags(d, r, removeTags(r.tags, p.Tags));
    return { Return: true as const };
  });
}

export function describeTags(ctx: ActionContext, params?: unknown): { Tags: TagDescription[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  const item: TagDescription = { Key: '', ResourceId: '', ResourceType: 'vpc', Value: '' };
  checkFilterNames(filters, (n) => tagDescriptionFields(item, n) !== undefined || n.startsWith('tag:'));
  const all: TagDescription[] = [];
  const add = (ResourceType: TagDescription['ResourceType'], ResourceId: string, tags: readonly Tag[]) => {
    for (const t of tags) all.push({ Key: t.Key, ResourceId, ResourceType, Value: t.Value });
  };
  for (const g of d.groups.values()) {
    add('security-group', g.groupId, g.tags);
    for (const r of [...g.ingress, ...g.egress]) add('security-group-rule', r.ruleId, r.tags ?? []);
  }
  for (const pl of d.prefixLists.values()) add('prefix-list', pl.prefixListId, pl.tags);
  for (const v of d.vpcs.values()) add('vpc', v.vpcId, v.tags ?? []);
  // `tag:K=V` on DescribeTags keeps the tags whose key is K and value matches V
  const fields = (t: TagDescription, n: string) => (n.startsWith('tag:') ? (t.Key === n.slice(4) ? [t.Value] : []) : tagDescriptionFields(t, n));
  const matched = all.filter((t) => matchesFilters(t, filters, fields));
  return withNextToken('Tags', paginate(matched, (t) => `${t.ResourceId}\u0000${t.Key}`, p, pageLimits('DescribeTags')));
}
