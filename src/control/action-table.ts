// Every EC2 action the service answers, by its API name, and the function in actions/ that runs it:
// the one place to look up where an action lives.
import type { ActionContext } from './action-context.js';
import * as groups from './actions/groups.js';
import * as rules from './actions/rules.js';
import * as interfaces from './actions/interfaces.js';
import * as prefixLists from './actions/prefix-lists.js';
import * as tags from './actions/tags.js';
import * as vpcs from './actions/vpcs.js';
import * as subnets from './actions/subnets.js';
import * as networkInterfaces from './actions/network-interfaces.js';
import * as vpcCidrBlocks from './actions/vpc-cidr-blocks.js';

export type Action = (ctx: ActionContext, params: unknown) => unknown;

export const ACTIONS: Readonly<Record<string, Action>> = {
  CreateSecurityGroup: groups.createSecurityGroup,
  DeleteSecurityGroup: groups.deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: rules.authorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress: rules.authorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress: rules.revokeSecurityGroupIngress,
  RevokeSecurityGroupEgress: rules.revokeSecurityGroupEgress,
  DescribeSecurityGroups: groups.describeSecurityGroups,
  DescribeSecurityGroupRules: rules.describeSecurityGroupRules,
  UpdateSecurityGroupRuleDescriptionsIngress: rules.updateSecurityGroupRuleDescriptionsIngress,
  UpdateSecurityGroupRuleDescriptionsEgress: rules.updateSecurityGroupRuleDescriptionsEgress,
  ModifyNetworkInterfaceAttribute: interfaces.modifyNetworkInterfaceAttribute,
  CreateManagedPrefixList: prefixLists.createManagedPrefixList,
  ModifyManagedPrefixList: prefixLists.modifyManagedPrefixList,
  GetManagedPrefixListEntries: prefixLists.getManagedPrefixListEntries,
  DescribeManagedPrefixLists: prefixLists.describeManagedPrefixLists,
  DeleteManagedPrefixList: prefixLists.deleteManagedPrefixList,
  RegisterNetworkInterface: interfaces.registerNetworkInterface,
  DeregisterNetworkInterface: interfaces.deregisterNetworkInterface,
  DescribeNetworkInterfaces: interfaces.describeNetworkInterfaces,
  ModifySecurityGroupRules: rules.modifySecurityGroupRules,
  CreateTags: tags.createTags,
  DeleteTags: tags.deleteTags,
  DescribeTags: tags.describeTags,
  CreateVpc: vpcs.createVpc,
  DeleteVpc: vpcs.deleteVpc,
  DescribeVpcs: vpcs.describeVpcs,
  DescribePrefixLists: prefixLists.describePrefixLists,
  DescribeStaleSecurityGroups: groups.describeStaleSecurityGroups,
  CreateSubnet: subnets.createSubnet,
  DeleteSubnet: subnets.deleteSubnet,
  DescribeSubnets: subnets.describeSubnets,
  CreateNetworkInterface: networkInterfaces.createNetworkInterface,
  DeleteNetworkInterface: networkInterfaces.deleteNetworkInterface,
  AssignPrivateIpAddresses: networkInterfaces.assignPrivateIpAddresses,
  UnassignPrivateIpAddresses: networkInterfaces.unassignPrivateIpAddresses,
  AssignIpv6Addresses: networkInterfaces.assignIpv6Addresses,
  UnassignIpv6Addresses: networkInterfaces.unassignIpv6Addresses,
  AssociateVpcCidrBlock: vpcCidrBlocks.associateVpcCidrBlock,
  DisassociateVpcCidrBlock: vpcCidrBlocks.disassociateVpcCidrBlock,
};

/** The EC2 action names `call` accepts. */
export const SERVICE_ACTIONS: readonly string[] = Object.keys(ACTIONS);
