// Compiled rule sets shared by every interface with the same groups (in the same order): their
// expanded rules, hence their classifiers, are identical, so a change compiles each distinct set
// once instead of once per interface. A set's classifier for one direction is reused when that
// direction's freshly expanded rules equal the ones it was compiled from: the comparison is a
// linear scan, far cheaper than a compile, and needs no trust in what the change event listed.
// Group and prefix-list references compile to set numbers resolved through the shared
// GroupAddresses, so neither membership nor list entries enter the comparison. Sets no interface
// uses any more are kept a while (up to SPARE_LIMIT): an interface leaving a group and joining it
// again finds its set compiled.
import { compileClassifier, type Classifier } from '../classify/index.js';
import type { ModelView } from '../model/model-view.js';
import type { GroupAddresses } from './address-groups.js';
import { compileInterfaceRules, sameClassifierRules, type InterfaceRules } from './interface-rules.js';

const SPARE_LIMIT = 64;

export interface CompiledRuleSet {
  readonly rules: InterfaceRules;
  readonly ingress: Classifier;
  readonly egress: Classifier;
}

export class RuleSetCache {
  private entries = new Map<string, CompiledRuleSet>();
  /** sets built in the current round: valid for the model as the round sees it */
  private round = new Map<string, CompiledRuleSet>();
  /** keys of sets no interface used at the last `retain`, oldest first */
  private spare = new Set<string>();

  constructor(private readonly groups: GroupAddresses) {}
  /** classifiers compiled and reused since the cache was made (for benchmarks and tests) */
  compiled = 0;
  reused = 0;

  /** Starts a rebuild against the model as it is now: sets built before are checked again. */
  beginRound(): void {
    this.round = new Map();
  }

  /** The compiled set for an interface whose groups are `groupIds`, current for this round. */
  get(model: ModelView, groupIds: readonly string[]): CompiledRuleSet {
    const key = groupIds.join(' ');
    const done = this.round.get(key);
    if (done !== undefined) return done;
    const rules = compileInterfaceRules(model, groupIds, this.groups);
    const old = this.entries.get(key);
    const set: CompiledRuleSet = {
      rules,
      ingress: this.classifier(old?.rules.ingress, old?.ingress, rules.ingress),
      egress: this.classifier(old?.rules.egress, old?.egress, rules.egress),
    };
    this.entries.set(key, set);
    this.round.set(key, set);
    return set;
  }

  /**
   * Forgets sets no interface uses any more (`inUse`: their group lists, as `get` took them),
   * but for the SPARE_LIMIT most recently dropped.
   */
  retain(inUse: Iterable<readonly string[]>): void {
    const keys = new Set<string>();
    for (const groupIds of inUse) keys.add(groupIds.join(' '));
    for (const key of keys) this.spare.delete(key);
    for (const key of this.entries.keys()) {
      if (keys.has(key) || this.spare.has(key)) continue;
      this.spare.add(key);
    }
    for (const key of this.spare) {
      if (this.spare.size <= SPARE_LIMIT) break;
      this.spare.delete(key);
      this.entries.delete(key);
    }
  }

  private classifier(
    oldRules: InterfaceRules['ingress'] | undefined,
    old: Classifier | undefined,
    rules: InterfaceRules['ingress'],
  ): Classifier {
    if (old !== undefined && oldRules !== undefined && sameClassifierRules(oldRules, rules)) {
      this.reused++;
      return old;
    }
    this.compiled++;
    return compileClassifier(rules, { addressSets: this.groups.sets });
  }
}
