// What an EC2 action may read and change: the service hands each action (actions/*.ts) this and
// nothing else. Reads look at `state`; a change goes through `mutate`, which runs on a draft and
// swaps it in only if the whole call succeeded (so a failing call changes nothing).
import type { ChangeSet } from './change.js';
import type { ModelState } from './records.js';
import type { Limits } from './service-options.js';

export type IdPrefix = 'sg' | 'sgr' | 'pl' | 'eni' | 'vpc' | 'subnet' | 'vpc-cidr-assoc';

export interface ActionContext {
  readonly accountId: string;
  readonly defaultVpcId: string;
  readonly limits: Readonly<Limits>;
  /** the region whose AWS-managed prefix lists DescribePrefixLists shows */
  readonly region: string;
  /** rule ids derived from the rule's content instead of drawn (ServiceOptions.ruleIdsFromContent) */
  readonly ruleIdsFromContent: boolean;
  /** the current state, for reads; never changed in place */
  readonly state: ModelState;
  /** a fresh resource id: `sg-`, `sgr-`, … followed by 17 hex digits */
  newId(prefix: IdPrefix): string;
  /** runs `fn` on a draft of the state, swaps it in if `fn` returns, and tells the listeners */
  mutate<T>(action: string, fn: (draft: ModelState, change: ChangeSet) => T): T;
}
