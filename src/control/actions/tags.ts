// Tag actions: CreateTags, DeleteTags, DescribeTags over security groups, their rules, managed
// prefix lists, VPCs, subnets and network interfaces. Tags change no rule, so their changes list
// nothing for the dataplane to recompile, but for an interface's `sgfw:host-id`, which moves it to
// another host (host-id.ts): that change lists the interface. (The tag rules themselves, EC2's
// limits and TagSpecifications, are ../tagging.ts.)
import type { Tag } from '../../model/types.js';
import { Ec2Errors } from '../../model/errors.js';
import type { ActionContext } from '../action-context.js';
import type { ModelState } from '../records.js';
import type { ChangeSet } from '../change.js';
import { hostIdOf, interfaceTags } from '../host-id.js';
import { asParams, stringList } from '../params.js';
import { checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { checkTag, mergeTags, removeTags, setTags, tagDescriptionFields, taggedResource, type TagDescription } from '../tagging.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { vpcKnown } from './vpcs.js';
import { checkAddressesFree } from './interfaces.js';

/** After an interface's tags changed: a new host must not meet another holder of its addresses. */
function placed(d: ModelState, change: ChangeSet, id: string, hostBefore: string | undefined): void {
  const i = d.interfaces.get(id)!;
  const hostId = hostIdOf(i);
  if (hostId === hostBefore) return;
  checkAddressesFree(d, { interfaceId: id, vpcId: i.vpcId, hostId }, [...i.privateIpv4, ...i.ipv6]);
  change.interfaceIds.add(id);
}

function resourcesOf(ctx: ActionContext, d: ModelState, v: unknown) {
  const ids = stringList(v, 'Resources');
  if (ids.length === 0) throw Ec2Errors.missingParameter('ResourceId');
  return ids.map((id) => taggedResource(d, id, (x) => vpcKnown(ctx, d, x), (x) => d.vpcs.get(x)?.tags ?? []));
}

export function createTags(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('CreateTags', (d, change) => {
    if (!Array.isArray(p.Tags) || p.Tags.length === 0) throw Ec2Errors.missingParameter('Tag');
    const add = (p.Tags as unknown[]).map(checkTag);
    for (const r of resourcesOf(ctx, d, p.Resources)) {
      const hostBefore = r.type === 'network-interface' ? hostIdOf(d.interfaces.get(r.id)!) : undefined;
      setTags(d, r, mergeTags(r.tags, add, r.id));
      if (r.type === 'network-interface') placed(d, change, r.id, hostBefore);
    }
    return { Return: true as const };
  });
}

export function deleteTags(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('DeleteTags', (d, change) => {
    for (const r of resourcesOf(ctx, d, p.Resources)) {
      const hostBefore = r.type === 'network-interface' ? hostIdOf(d.interfaces.get(r.id)!) : undefined;
      setTags(d, r, removeTags(r.tags, p.Tags));
      if (r.type === 'network-interface') placed(d, change, r.id, hostBefore);
    }
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
  for (const s of d.subnets.values()) add('subnet', s.subnetId, s.tags);
  for (const i of d.interfaces.values()) add('network-interface', i.interfaceId, interfaceTags(i));
  // `tag:K=V` on DescribeTags keeps the tags whose key is K and value matches V
  const fields = (t: TagDescription, n: string) => (n.startsWith('tag:') ? (t.Key === n.slice(4) ? [t.Value] : []) : tagDescriptionFields(t, n));
  const matched = all.filter((t) => matchesFilters(t, filters, fields));
  return withNextToken('Tags', paginate(matched, (t) => `${t.ResourceId}\u0000${t.Key}`, p, pageLimits('DescribeTags')));
}
