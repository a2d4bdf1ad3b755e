// A deterministic stream of control-plane calls for the durable-store tests: call i depends only
// on i, and ids come from idFor(i, k) (the k-th id call i draws), so a test can rebuild in memory
// what the first K calls must have produced and compare it with what a store recovered.
import { SecurityGroupService } from '../../../src/control/service.js';
import { openDurableStore } from '../../../src/state/durable-store.js';

export function idFor(seq: number, k: number): string {
  return `${seq.toString(16).padStart(12, '0')}${k.toString(16).padStart(5, '0')}`;
}

/** ids drawn by call `seq` come from idFor(seq, 0), idFor(seq, 1), … */
export class SeqIds {
  private seq = 0;
  private k = 0;
  readonly next = (): string => idFor(this.seq, this.k++);
  begin(seq: number): void {
    this.seq = seq;
    this.k = 0;
  }
}

// Call 1 also creates the default VPC's default group (one sg and two sgr ids before its own).
const groupIdOf = (i: number): string => `sg-${idFor(i, i === 1 ? 3 : 0)}`;
const net = (i: number): string => `${(i >> 8) & 255}.${i & 255}`;

export function workloadCall(i: number): { action: string; params: Record<string, unknown> } {
  switch (i % 6) {
    case 1:
      return { action: 'CreateSecurityGroup', params: { GroupName: `g${i}`, Description: `group of call ${i}` } };
    case 2:
      return {
        action: 'AuthorizeSecurityGroupIngress',
        params: { GroupName: `g${i - 1}`, IpPermissions: [{ IpProtocol: 'tcp', FromPort: i, ToPort: i, IpRanges: [{ CidrIp: `10.${net(i)}.0/24`, Description: `call ${i}` }] }] },
      };
    case 3:
      return {
        action: 'CreateManagedPrefixList',
        params: { PrefixListName: `pl${i}`, AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: `192.${net(i)}.0/24` }] },
      };
    case 4:
      return {
        action: 'ModifyManagedPrefixList',
        params: { PrefixListId: `pl-${idFor(i - 1, 0)}`, CurrentVersion: 1, AddEntries: [{ Cidr: `193.${net(i)}.0/24`, Description: 'added' }] },
      };
    case 5:
      return { action: 'RegisterNetworkInterface', params: { PrivateIpAddress: `172.16.${net(i)}`, Groups: [groupIdOf(i - 4)] } };
    default:
      return {
        action: 'RevokeSecurityGroupIngress',
        params: { GroupName: `g${i - 5}`, IpPermissions: [{ IpProtocol: 'tcp', FromPort: i - 4, ToPort: i - 4, IpRanges: [{ CidrIp: `10.${net(i - 4)}.0/24` }] }] },
      };
  }
}

/** The state the first `count` workload calls produce, built in memory without a store. */
export function referenceService(count: number): SecurityGroupService {
  const ids = new SeqIds();
  const service = new SecurityGroupService({ idGenerator: ids.next });
  for (let i = 1; i <= count; i++) {
    ids.begin(i);
    const { action, params } = workloadCall(i);
    service.call(action, params);
  }
  return service;
}

/** Everything observable, rule ids and prefix-list history included, in a comparable form. */
export function observable(service: SecurityGroupService): unknown {
  const rules = (service.describeSecurityGroupRules({}) as { SecurityGroupRules: { SecurityGroupRuleId: string }[] }).SecurityGroupRules;
  const history: Record<string, unknown> = {};
  for (const pl of service.exportSnapshot().PrefixLists) {
    for (let v = 1; v <= (pl.Version ?? 1); v++) {
      history[`${pl.PrefixListId}@${v}`] = service.getManagedPrefixListEntries({ PrefixListId: pl.PrefixListId, TargetVersion: v }).Entries;
    }
  }
  return {
    snapshot: service.exportSnapshot(),
    rules: [...rules].sort((a, b) => a.SecurityGroupRuleId.localeCompare(b.SecurityGroupRuleId)),
    history,
  };
}

/**
 * Opens the state directory `dir` (creating it), applies the workload calls from where it stands
 * up to `upTo` (writing a snapshot right after call `snapshotAt`), and closes it.
 */
export async function extendWorkloadDir(dir: string, upTo: number, snapshotAt?: number): Promise<string> {
  const ids = new SeqIds();
  const store = await openDurableStore(dir, { snapshotEvery: 1000, service: { idGenerator: ids.next } });
  for (let i = store.seq + 1; i <= upTo; i++) {
    ids.begin(i);
    const { action, params } = workloadCall(i);
    await store.apply(action, params);
    if (i === snapshotAt) await store.snapshot();
  }
  await store.close();
  return dir;
}
