// Tags on the resources sgfw holds (security groups, their rules, managed prefix lists, VPCs,
// subnets, network interfaces): the
// checks and merges CreateTags, DeleteTags, DescribeTags (actions/tags.ts) and TagSpecifications
// apply. Limits are EC2's tag restrictions: keys of 1–128 characters not starting with `aws:`,
// values of up to 256, at most 50 tags per resource.
import type { Tag } from '../model/types.js';
import { Ec2Errors } from '../model/errors.js';
import { checkGroupId, checkInterfaceId, checkPrefixListId, checkRuleId, checkSubnetId, checkVpcId } from '../model/ids.js';
import type { GroupRecord, ModelState } from './records.js';
import { interfaceTags, withInterfaceTags } from './host-id.js';

export const MAX_TAGS_PER_RESOURCE = 50;

export type TaggableType = 'security-group' | 'security-group-rule' | 'prefix-list' | 'vpc' | 'subnet' | 'network-interface';

export function checkTag(t: unknown): Tag {
  const tag = t as { Key?: unknown; Value?: unknown } | null;
  const key = tag?.Key;
  if (typeof key !== 'string' || key === '') throw Ec2Errors.missingParameter('Tag.Key');
  if (key.length > 128) throw Ec2Errors.invalidParameterValue(`Tag key exceeds the maximum length of 128 characters: ${key}`);
  if (key.toLowerCase().startsWith('aws:')) throw Ec2Errors.invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
  const value = tag?.Value ?? '';
  if (typeof value !== 'string') throw Ec2Errors.invalidParameterValue(`Tag value must be a string for key ${key}`);
  if (value.length > 256) throw Ec2Errors.invalidParameterValue(`Tag value exceeds the maximum length of 256 characters for key ${key}`);
  return { Key: key, Value: value };
}

/** `tags` with `add` set on them (an existing key takes the new value, as CreateTags does). */
export function mergeTags(tags: readonly Tag[], add: readonly Tag[], resourceId: string): Tag[] {
  const out = new Map(tags.map((t) => [t.Key, t.Value] as const));
  for (const t of add) out.set(t.Key, t.Value);
  if (out.size > MAX_TAGS_PER_RESOURCE) throw Ec2Errors.tagLimit(resourceId);
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The tags of TagSpecifications meant for `resourceType`; a specification for another type is
 * refused as EC2 refuses it, not silently dropped.
 */
export function tagsFromSpecifications(spec: unknown, resourceType: TaggableType, resourceId: string): Tag[] {
  if (spec === undefined) return [];
  if (!Array.isArray(spec)) throw Ec2Errors.invalidParameterValue('TagSpecifications must be a list');
  const out: Tag[] = [];
  for (const s of spec as { ResourceType?: unknown; Tags?: unknown }[]) {
    if (s?.ResourceType === undefined) throw Ec2Errors.missingParameter('TagSpecification.N.ResourceType');
    if (s.ResourceType !== resourceType) {
      throw Ec2Errors.invalidParameterValue(`'${String(s.ResourceType)}' is not a valid taggable resource type for this operation.`);
    }
    if (s.Tags !== undefined && !Array.isArray(s.Tags)) throw Ec2Errors.invalidParameterValue('TagSpecification.N.Tags must be a list');
    for (const t of (s.Tags ?? []) as unknown[]) out.push(checkTag(t));
  }
  return mergeTags([], out, resourceId);
}

export interface TaggedResource {
  readonly type: TaggableType;
  readonly id: string;
  readonly tags: readonly Tag[];
}

/** The resource an id names, with EC2's malformed / not-found errors for its kind. */
export function taggedResource(d: ModelState, id: unknown, vpcExists: (id: string) => boolean, vpcTags: (id: string) => readonly Tag[]): TaggedResource {
  if (typeof id !== 'string' || id === '') throw Ec2Errors.missingParameter('ResourceId');
  if (id.startsWith('sg-')) {
    checkGroupId(id);
    const g = d.groups.get(id);
    if (g === undefined) throw Ec2Errors.groupNotFound(id);
    return { type: 'security-group', id, tags: g.tags };
  }
  if (id.startsWith('sgr-')) {
    checkRuleId(id);
    const r = d.findRule(id);
    if (r === undefined) throw Ec2Errors.ruleIdNotFound(id);
    return { type: 'security-group-rule', id, tags: r.tags ?? [] };
  }
  if (id.startsWith('pl-')) {
    checkPrefixListId(id);
    const pl = d.prefixLists.get(id);
    if (pl === undefined) throw Ec2Errors.prefixListNotFound(id);
    return { type: 'prefix-list', id, tags: pl.tags };
  }
  if (id.startsWith('vpc-')) {
    checkVpcId(id);
    if (!vpcExists(id)) throw Ec2Errors.vpcNotFound(id);
    return { type: 'vpc', id, tags: vpcTags(id) };
  }
  if (id.startsWith('subnet-')) {
    checkSubnetId(id);
    const s = d.subnets.get(id);
    if (s === undefined) throw Ec2Errors.subnetNotFound(id);
    return { type: 'subnet', id, tags: s.tags };
  }
  if (id.startsWith('eni-')) {
    checkInterfaceId(id);
    const i = d.interfaces.get(id);
    if (i === undefined) throw Ec2Errors.interfaceNotFound(id);
    return { type: 'network-interface', id, tags: interfaceTags(i) };
  }
  throw Ec2Errors.invalidId(id);
}

/** Writes a resource's new tags into the draft. */
export function setTags(d: ModelState, r: TaggedResource, tags: readonly Tag[]): void {
  if (r.type === 'security-group') d.groups.set(r.id, { ...d.groups.get(r.id)!, tags });
  else if (r.type === 'security-group-rule') {
    const g = d.groups.get(d.findRule(r.id)!.groupId)!;
    const swap = (rules: GroupRecord['ingress']) => rules.map((x) => (x.ruleId === r.id ? { ...x, tags } : x));
    d.groups.set(g.groupId, { ...g, ingress: swap(g.ingress), egress: swap(g.egress) });
  }
  else if (r.type === 'prefix-list') d.prefixLists.set(r.id, { ...d.prefixLists.get(r.id)!, tags });
  else if (r.type === 'subnet') d.subnets.set(r.id, { ...d.subnets.get(r.id)!, tags });
  else if (r.type === 'network-interface') d.interfaces.set(r.id, withInterfaceTags(d.interfaces.get(r.id)!, tags));
  else d.vpcs.set(r.id, { ...(d.vpcs.get(r.id) ?? { vpcId: r.id }), tags });
}

/**
 * DeleteTags' rule: no Tags deletes every tag; a tag with only a Key deletes that key whatever its
 * value; a tag with a Value (even `""`) deletes the key only when its value is that value.
 */
export function removeTags(tags: readonly Tag[], spec: unknown): Tag[] {
  if (spec === undefined) return [];
  if (!Array.isArray(spec)) throw Ec2Errors.invalidParameterValue('Tags must be a list');
  let out = [...tags];
  for (const t of spec as { Key?: unknown; Value?: unknown }[]) {
    if (typeof t?.Key !== 'string' || t.Key === '') throw Ec2Errors.missingParameter('Tag.Key');
    const key = t.Key;
    const value = t.Value;
    out = out.filter((x) => x.Key !== key || (value !== undefined && x.Value !== value));
  }
  return out;
}

export interface TagDescription {
  Key: string;
  ResourceId: string;
  ResourceType: TaggableType;
  Value: string;
}

export function tagDescriptionFields(t: TagDescription, name: string): readonly string[] | undefined {
  switch (name) {
    case 'key':
      return [t.Key];
    case 'value':
      return [t.Value];
    case 'resource-id':
      return [t.ResourceId];
    case 'resource-type':
      return [t.ResourceType];
  }
  return undefined;
}
