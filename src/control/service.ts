// The control-plane service: one method per EC2 action, taking the request as
// `aws ec2 <action> --cli-input-json` takes it and returning the response as the AWS CLI prints it.
// Every front end (replay timelines, the CLI, the Query API) goes through here.
//
// WHERE AN ACTION LIVES: action-table.ts maps each EC2 action name to its function in actions/
// (groups, rules, interfaces, prefix-lists, tags, vpcs, subnets). This file is only the core those functions
// run over: the state, `mutate`, `replaceState`, `call` and the read-side ModelView. An action sees
// the service only through ActionContext (action-context.ts).
//
// Atomicity: each mutating call works on a draft copy of the state (ModelState.draft copies the maps,
// records are immutable) and the draft replaces the state only when the whole call succeeded, so a
// failing call changes nothing, however far it got.
//
// DryRun (`dryRun`) is the same action run through a second context whose `mutate` throws its draft
// away: the validation is the real call's, line for line, and nothing is copied but the draft's maps.
// Its new ids come from a generator of its own, so the configured one (counters in tests, the
// durable store's journal of drawn ids) never sees a dry run.
import type { GroupView, InterfaceView, ModelView, PrefixListView } from '../model/model-view.js';
import type { ModelDocument, SnapshotDocument } from '../model/types.js';
import { Ec2Errors } from '../model/errors.js';
import { randomIdSuffix } from '../model/ids.js';
import { ModelState } from './records.js';
import type { ActionContext } from './action-context.js';
import { ChangeSet, type ModelChange } from './change.js';
import { refuseUnsupportedParams } from './unsupported-params.js';
import { IDEMPOTENT_ACTIONS, withClientToken } from './client-tokens.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_LIMITS, DEFAULT_VPC_ID, type Limits, type ServiceOptions } from './service-options.js';
import { stateDifference } from './state-diff.js';
import { exportSnapshot, importSnapshot } from './snapshot.js';
import { awsPrefixListRecords, DEFAULT_REGION } from './aws-prefix-lists.js';
import { ACTIONS } from './action-table.js';
import * as groups from './actions/groups.js';
import * as rules from './actions/rules.js';
import * as interfaces from './actions/interfaces.js';
import * as prefixLists from './actions/prefix-lists.js';
import * as tags from './actions/tags.js';
import * as vpcs from './actions/vpcs.js';

// What importers of service.js have always found here; each is defined in the module named.
export { DEFAULT_ACCOUNT_ID, DEFAULT_LIMITS, DEFAULT_VPC_ID, type Limits, type ServiceOptions } from './service-options.js';
export { ChangeSet, type ModelChange } from './change.js';
export { HOST_ID_PATTERN, hostIdOf, type HostedInterfaceRecord } from './host-id.js';
export { DEFAULT_GROUP_DESCRIPTION } from './actions/vpcs.js';
export { SERVICE_ACTIONS } from './action-table.js';

export class SecurityGroupService implements ModelView {
  readonly accountId: string;
  readonly defaultVpcId: string;
  readonly limits: Readonly<Limits>;
  readonly region: string;
  private state: ModelState;
  private versionCounter = 0;
  private readonly listeners = new Set<(change: ModelChange) => void>();
  /** what the actions in actions/ may read and change */
  private readonly context: ActionContext;
  /** the same, for `dryRun`: its changes go to a draft that is dropped */
  private readonly dryContext: ActionContext;

  constructor(options: ServiceOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.defaultVpcId = options.defaultVpcId ?? DEFAULT_VPC_ID;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.region = options.region ?? DEFAULT_REGION;
    this.state = new ModelState(undefined, undefined, undefined, undefined, awsPrefixListRecords(this.region));
    const nextIdSuffix = options.idGenerator ?? randomIdSuffix;
    const service = this;
    const contextWith = (newId: ActionContext['newId'], mutate: ActionContext['mutate']): ActionContext => ({
      accountId: this.accountId,
      defaultVpcId: this.defaultVpcId,
      limits: this.limits,
      region: this.region,
      ruleIdsFromContent: options.ruleIdsFromContent ?? false,
      get state() {
        return service.state;
      },
      newId,
      mutate,
    });
    this.context = contextWith((prefix) => `${prefix}-${nextIdSuffix()}`, (action, fn) => this.mutate(action, fn));
    this.dryContext = contextWith((prefix) => `${prefix}-${randomIdSuffix()}`, (_action, fn) => fn(this.state.draft(), new ChangeSet()));
  }

  // ---- ModelView -------------------------------------------------------------------------------

  get version(): number {
    return this.versionCounter;
  }
  groups(): Iterable<GroupView> {
    return this.state.groups.values();
  }
  group(groupId: string): GroupView | undefined {
    return this.state.groups.get(groupId);
  }
  interfaces(): Iterable<InterfaceView> {
    return this.state.interfaces.values();
  }
  prefixList(prefixListId: string): PrefixListView | undefined {
    return this.state.referenceablePrefixList(prefixListId);
  }

  /**
   * Called after every accepted change, with what it touched (a prefix-list change also lists the
   * groups whose rules reference it). Listeners must not throw: the change is already made.
   */
  onChange(listener: (change: ModelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current state, whole: for snapshot files and the stores that persist and diff it. */
  get currentState(): ModelState {
    return this.state;
  }

  // ---- dispatcher ------------------------------------------------------------------------------

  /** Runs an EC2 action by its API name (`AuthorizeSecurityGroupIngress`); InvalidAction otherwise. */
  call(action: string, params: unknown): unknown {
    return actionNamed(action)(this.context, params);
  }

  /**
   * EC2's DryRun: runs the action as `call` would and throws its error, or returns what it would
   * have answered, but changes nothing: not the state, the version, the listeners or the ids the
   * next real call draws.
   */
  dryRun(action: string, params: unknown): unknown {
    return actionNamed(action)(this.dryContext, params);
  }

  // ---- changes -----------------------------------------------------------------------------------

  private mutate<T>(action: string, fn: (draft: ModelState, change: ChangeSet) => T): T {
    const draft = this.state.draft();
    const change = new ChangeSet();
    const result = fn(draft, change);
    this.state = draft;
    this.versionCounter++;
    const event: ModelChange = {
      version: this.versionCounter,
      action,
      groupIds: [...change.groupIds],
      interfaceIds: [...change.interfaceIds],
      prefixListIds: [...change.prefixListIds],
    };
    for (const l of this.listeners) l(event);
    return result;
  }

  /**
   * Swaps in `next` whole (a store that reloaded its state: etcd-store.ts's resync) and tells the
   * listeners what differs (state-diff.ts). No change, no event (client tokens alone are swapped in
   * without one).
   */
  replaceState(next: ModelState, action = 'ReplaceState'): ModelChange | undefined {
    const before = this.state;
    const change = stateDifference(before, next);
    if (change === undefined) {
      // client tokens change no rule, so no listener hears of them; they are swapped in all the same
      if (!sameEntries(before.clientTokens, next.clientTokens)) {
        this.state = new ModelState(before.groups, before.interfaces, before.prefixLists, before.vpcs, before.awsPrefixLists, before.subnets, next.clientTokens);
      }
      return undefined;
    }
    const fresh = new ModelState(next.groups, next.interfaces, next.prefixLists, next.vpcs, before.awsPrefixLists, next.subnets, next.clientTokens);
    return this.mutate(action, (d, c) => {
      d.fillFrom(fresh);
      for (const id of change.groupIds) c.groupIds.add(id);
      for (const id of change.interfaceIds) c.interfaceIds.add(id);
      for (const id of change.prefixListIds) c.prefixListIds.add(id);
      return { version: this.versionCounter + 1, action, groupIds: [...c.groupIds], interfaceIds: [...c.interfaceIds], prefixListIds: [...c.prefixListIds] };
    });
  }

  // ---- the EC2 actions, typed, for callers in code (`call` runs the same functions by name) ----------

  createSecurityGroup(params: unknown) { return groups.createSecurityGroup(this.context, params); }
  deleteSecurityGroup(params: unknown) { return groups.deleteSecurityGroup(this.context, params); }
  describeSecurityGroups(params?: unknown) { return groups.describeSecurityGroups(this.context, params); }
  describeStaleSecurityGroups(params: unknown) { return groups.describeStaleSecurityGroups(this.context, params); }

  authorizeSecurityGroupIngress(params: unknown) { return rules.authorizeSecurityGroupIngress(this.context, params); }
  authorizeSecurityGroupEgress(params: unknown) { return rules.authorizeSecurityGroupEgress(this.context, params); }
  revokeSecurityGroupIngress(params: unknown) { return rules.revokeSecurityGroupIngress(this.context, params); }
  revokeSecurityGroupEgress(params: unknown) { return rules.revokeSecurityGroupEgress(this.context, params); }
  describeSecurityGroupRules(params?: unknown) { return rules.describeSecurityGroupRules(this.context, params); }
  updateSecurityGroupRuleDescriptionsIngress(params: unknown) { return rules.updateSecurityGroupRuleDescriptionsIngress(this.context, params); }
  updateSecurityGroupRuleDescriptionsEgress(params: unknown) { return rules.updateSecurityGroupRuleDescriptionsEgress(this.context, params); }
  modifySecurityGroupRules(params: unknown) { return rules.modifySecurityGroupRules(this.context, params); }

  registerNetworkInterface(params: unknown) { return interfaces.registerNetworkInterface(this.context, params); }
  deregisterNetworkInterface(params: unknown) { return interfaces.deregisterNetworkInterface(this.context, params); }
  describeNetworkInterfaces(params?: unknown) { return interfaces.describeNetworkInterfaces(this.context, params); }
  modifyNetworkInterfaceAttribute(params: unknown) { return interfaces.modifyNetworkInterfaceAttribute(this.context, params); }

  createManagedPrefixList(params: unknown) { return this.call('CreateManagedPrefixList', params) as ReturnType<typeof prefixLists.createManagedPrefixList>; }
  modifyManagedPrefixList(params: unknown) { return prefixLists.modifyManagedPrefixList(this.context, params); }
  getManagedPrefixListEntries(params: unknown) { return prefixLists.getManagedPrefixListEntries(this.context, params); }
  describeManagedPrefixLists(params?: unknown) { return prefixLists.describeManagedPrefixLists(this.context, params); }
  deleteManagedPrefixList(params: unknown) { return prefixLists.deleteManagedPrefixList(this.context, params); }
  describePrefixLists(params?: unknown) { return prefixLists.describePrefixLists(this.context, params); }

  createTags(params: unknown) { return tags.createTags(this.context, params); }
  deleteTags(params: unknown) { return tags.deleteTags(this.context, params); }
  describeTags(params?: unknown) { return tags.describeTags(this.context, params); }

  createVpc(params: unknown) { return vpcs.createVpc(this.context, params); }
  deleteVpc(params: unknown) { return vpcs.deleteVpc(this.context, params); }
  describeVpcs(params?: unknown) { return vpcs.describeVpcs(this.context, params); }

  // ---- snapshots ---------------------------------------------------------------------------------

  /**
   * Loads a state document (already structurally checked) all or nothing, keeping its ids. On a
   * semantic failure throws Ec2PathError, whose `path` points into `doc`.
   */
  importSnapshot(doc: ModelDocument): { SecurityGroups: number; NetworkInterfaces: number; PrefixLists: number } {
    return this.mutate('ImportSnapshot', (d, change) => importSnapshot(this.context, d, change, doc));
  }

  /** Everything held, in AWS CLI shape; importSnapshot(exportSnapshot()) rebuilds the same model. */
  exportSnapshot(): Required<SnapshotDocument> & ModelDocument {
    return exportSnapshot(this.state, this.accountId, this.region);
  }
}

function sameEntries<T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (JSON.stringify(b.get(k)) !== JSON.stringify(v)) return false;
  return true;
}

function actionNamed(action: string): (ctx: ActionContext, params: unknown) => unknown {
  // Own names only: `toString`, `constructor` or `__proto__` must not reach Object.prototype.
  const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (handler === undefined) throw Ec2Errors.invalidAction(action);
  return (ctx, params) => {
    refuseUnsupportedParams(action, params);
    return IDEMPOTENT_ACTIONS.has(action) ? withClientToken(action, ctx, params, handler) : handler(ctx, params);
  };
}
