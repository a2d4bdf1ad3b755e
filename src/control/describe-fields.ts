// The filter names each describe action knows, and the values an item offers for each. Names are
// EC2's; `ip-permission.*` filters look at every inbound rule independently (as EC2 does: cidr and
// port may match different rules), `egress.ip-permission.*` at the outbound ones.
import type { IdPrefix } from '../model/ids.js';
import type { GroupRecord, InterfaceRecord, ModelState, PrefixListRecord, RuleRecord } from './records.js';
import { interfaceStatus, interfaceTags } from './host-id.js';

// The filters of each describe action whose values are ids, and of which kind (filters.ts's
// checkFilterIds refuses a malformed one as EC2 does).
type IdFilters = Readonly<Record<string, IdPrefix>>;
export const GROUP_ID_FILTERS: IdFilters = {
  'group-id': 'sg', 'vpc-id': 'vpc',
  'ip-permission.group-id': 'sg', 'egress.ip-permission.group-id': 'sg',
  'ip-permission.prefix-list-id': 'pl', 'egress.ip-permission.prefix-list-id': 'pl',
};
export const RULE_ID_FILTERS: IdFilters = { 'group-id': 'sg', 'security-group-rule-id': 'sgr' };
export const INTERFACE_ID_FILTERS: IdFilters = { 'network-interface-id': 'eni', 'vpc-id': 'vpc', 'group-id': 'sg', 'subnet-id': 'subnet' };
export const PREFIX_LIST_ID_FILTERS: IdFilters = { 'prefix-list-id': 'pl' };
export const VPC_ID_FILTERS: IdFilters = { 'vpc-id': 'vpc' };
export const SUBNET_ID_FILTERS: IdFilters = { 'subnet-id': 'subnet', 'vpc-id': 'vpc' };

const RULE_FIELDS = new Set(['cidr', 'ipv6-cidr', 'prefix-list-id', 'group-id', 'group-name', 'user-id', 'protocol', 'from-port', 'to-port']);

function ruleField(rules: readonly RuleRecord[], field: string, state: ModelState | undefined): string[] | undefined {
  if (!RULE_FIELDS.has(field)) return undefined;
  const out: string[] = [];
  for (const r of rules) {
    const p = r.peer;
    switch (field) {
      case 'cidr':
        if (p.kind === 'cidr4') out.push(p.cidr);
        break;
      case 'ipv6-cidr':
        if (p.kind === 'cidr6') out.push(p.cidr);
        break;
      case 'prefix-list-id':
        if (p.kind === 'prefix-list') out.push(p.prefixListId);
        break;
      case 'group-id':
        if (p.kind === 'group') out.push(p.groupId);
        break;
      case 'user-id':
        if (p.kind === 'group') out.push(p.userId);
        break;
      case 'group-name': {
        // the referenced group's name, when the model holds that group
        const name = p.kind === 'group' ? state?.groups.get(p.groupId)?.groupName : undefined;
        if (name !== undefined) out.push(name);
        break;
      }
      case 'protocol':
        out.push(r.protocolText, String(r.protocol));
        break;
      case 'from-port':
        out.push(String(r.fromPort));
        break;
      case 'to-port':
        out.push(String(r.toPort));
        break;
      default:
        return undefined;
    }
  }
  return out;
}

export function tagField(tags: readonly { Key: string; Value: string }[], name: string): string[] | undefined {
  if (name === 'tag-key') return tags.map((t) => t.Key);
  if (name === 'tag-value') return tags.map((t) => t.Value);
  if (name.startsWith('tag:')) return tags.filter((t) => t.Key === name.slice(4)).map((t) => t.Value);
  return undefined;
}

/** `state` resolves the names of referenced groups (`ip-permission.group-name`). */
export function groupFields(g: GroupRecord, name: string, state?: ModelState): readonly string[] | undefined {
  switch (name) {
    case 'group-id':
      return [g.groupId];
    case 'group-name':
      return [g.groupName];
    case 'vpc-id':
      return [g.vpcId];
    case 'description':
      return [g.description];
    case 'owner-id':
      return [g.ownerId];
  }
  if (name.startsWith('ip-permission.')) return ruleField(g.ingress, name.slice('ip-permission.'.length), state);
  if (name.startsWith('egress.ip-permission.')) return ruleField(g.egress, name.slice('egress.ip-permission.'.length), state);
  return tagField(g.tags, name);
}

export function isGroupFilter(name: string): boolean {
  const empty: GroupRecord = {
    groupId: '', groupName: '', vpcId: '', ownerId: '', description: '', tags: [], ingress: [], egress: [],
  };
  return groupFields(empty, name) !== undefined;
}

export function ruleFields(r: RuleRecord, name: string): readonly string[] | undefined {
  switch (name) {
    case 'group-id':
      return [r.groupId];
    case 'security-group-rule-id':
      return [r.ruleId];
    case 'is-egress':
      return [String(r.egress)];
  }
  return tagField(r.tags ?? [], name);
}

export function interfaceFields(i: InterfaceRecord, name: string): readonly string[] | undefined {
  switch (name) {
    case 'network-interface-id':
      return [i.interfaceId];
    case 'vpc-id':
      return [i.vpcId];
    case 'group-id':
      return i.groupIds;
    case 'description':
      return i.description !== undefined ? [i.description] : [];
    case 'private-ip-address':
    case 'addresses.private-ip-address':
      return i.privateIpv4;
    case 'ipv6-addresses.ipv6-address':
      return i.ipv6;
    case 'subnet-id':
      return i.subnetId !== undefined ? [i.subnetId] : [];
    case 'status':
      return [interfaceStatus(i)];
    case 'interface-type':
      return ['interface'];
    case 'addresses.primary':
      return i.privateIpv4.length > 0 ? ['true', ...(i.privateIpv4.length > 1 ? ['false'] : [])] : [];
  }
  return tagField(interfaceTags(i), name);
}

export function prefixListFields(p: PrefixListRecord, name: string): readonly string[] | undefined {
  switch (name) {
    case 'prefix-list-id':
      return [p.prefixListId];
    case 'prefix-list-name':
      return [p.name];
    case 'owner-id':
      return [p.ownerId];
  }
  return tagField(p.tags, name);
}
