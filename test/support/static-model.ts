// A ModelView over plain data, for dataplane tests that need no control plane.
import type { GroupView, InterfaceView, ModelView, PrefixListView, RuleView, RulePeer } from '../../src/model/model-view.js';

export interface StaticRule {
  egress?: boolean;
  protocol: number;
  fromPort?: number;
  toPort?: number;
  peer: RulePeer;
}

export class StaticModel implements ModelView {
  version = 0;
  readonly groupMap = new Map<string, GroupView>();
  readonly interfaceMap = new Map<string, InterfaceView>();
  readonly prefixLists = new Map<string, PrefixListView>();
  private ruleCounter = 0;

  groups(): Iterable<GroupView> {
    return this.groupMap.values();
  }
  group(id: string): GroupView | undefined {
    return this.groupMap.get(id);
  }
  interfaces(): Iterable<InterfaceView> {
    return this.interfaceMap.values();
  }
  prefixList(id: string): PrefixListView | undefined {
    return this.prefixLists.get(id);
  }

  setGroup(groupId: string, rules: readonly StaticRule[]): void {
    const toView = (r: StaticRule): RuleView => ({
      ruleId: `sgr-${(this.ruleCounter++).toString(16).padStart(17, '0')}`,
      groupId,
      egress: !!r.egress,
      protocol: r.protocol,
      fromPort: r.fromPort ?? -1,
      toPort: r.toPort ?? -1,
      peer: r.peer,
    });
    this.groupMap.set(groupId, {
      groupId,
      groupName: groupId,
      vpcId: 'vpc-1',
      ownerId: '123456789012',
      description: groupId,
      ingress: rules.filter((r) => !r.egress).map(toView),
      egress: rules.filter((r) => r.egress).map(toView),
    });
    this.version++;
  }

  setInterface(interfaceId: string, groupIds: string[], privateIpv4: string[], ipv6: string[] = []): void {
    this.interfaceMap.set(interfaceId, {
      interfaceId,
      vpcId: 'vpc-1',
      privateIpv4,
      ipv6,
      groupIds,
      conntrack: { tcpEstablished: 432000, udpStream: 180, udp: 30 },
    });
    this.version++;
  }

  setPrefixList(prefixListId: string, cidrs: string[]): void {
    this.prefixLists.set(prefixListId, {
      prefixListId,
      name: prefixListId,
      addressFamily: cidrs[0]?.includes(':') ? 'IPv6' : 'IPv4',
      version: (this.prefixLists.get(prefixListId)?.version ?? 0) + 1,
      entries: cidrs.map((cidr) => ({ cidr })),
    });
    this.version++;
  }
}
