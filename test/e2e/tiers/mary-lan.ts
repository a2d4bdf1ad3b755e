// Mary's three tiers (seed 000) as namespaces on one bridged LAN, addressed from her state
// (pcaps/mary/state.json): each tier host holds the addresses of the interfaces in its group, and an
// "outside" host stands for the world. The LAN is a Linux bridge in a namespace of its own, every
// host one veth port of it, on-link routes only: like one VPC subnet fabric, with no router that
// could filter or translate, so what a host sees is what its own sgfw let through.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLan, type Lan, type LanMember } from '../support/lan.js';
import type { StateDoc } from '../support/sg-expect.js';

export const MARY_STATE_FILE = join(import.meta.dirname, '..', '..', '..', 'pcaps', 'mary', 'state.json');
export const TIERS = ['web', 'app', 'db'] as const;
export type Tier = (typeof TIERS)[number];
/** the group whose members form each tier */
export const TIER_GROUP: Record<Tier, string> = { web: 'WebServers', app: 'AppServers', db: 'DBServers' };
export const OUTSIDE_V4 = '203.0.113.50';
export const OUTSIDE_V6 = '2001:db8:ff::50';

export interface MaryLan {
  lan: Lan;
  state: StateDoc;
  /** each tier's addresses (IPv4 then IPv6), from its group's interfaces */
  addresses: Record<Tier, string[]>;
}

export function loadMaryState(): StateDoc {
  return JSON.parse(readFileSync(MARY_STATE_FILE, 'utf8'));
}

export function groupId(state: StateDoc, name: string): string {
  const g = state.SecurityGroups.find((s) => s.GroupName === name);
  if (!g) throw new Error(`no group ${name} in ${MARY_STATE_FILE}`);
  return g.GroupId;
}

/** Builds the LAN for `tiers` plus "outside"; namespaces `${prefix}-${tag}-<tier>`. */
export function createMaryLan(prefix: string, tag: string, tiers: readonly Tier[] = TIERS): MaryLan {
  const state = loadMaryState();
  const addresses = {} as Record<Tier, string[]>;
  for (const tier of TIERS) {
    const id = groupId(state, TIER_GROUP[tier]);
    const enis = state.NetworkInterfaces.filter((e) => e.Groups.some((g) => g.GroupId === id));
    const v4 = enis.flatMap((e) => (e.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress));
    const v6 = enis.flatMap((e) => (e.Ipv6Addresses ?? []).map((a) => a.Ipv6Address));
    addresses[tier] = [...v4, ...v6];
  }
  const members: LanMember[] = tiers.map((tier) => ({
    name: tier,
    addresses: addresses[tier].map((a) => (a.includes(':') ? `${a}/64` : `${a}/24`)),
  }));
  members.push({ name: 'outside', addresses: [`${OUTSIDE_V4}/24`, `${OUTSIDE_V6}/64`] });
  const lan = createLan(prefix, tag, members, ['10.0.0.0/8', '203.0.113.0/24', '2001:db8::/32']);
  return { lan, state, addresses };
}

/** Mary's state as a file sgfw reads; every host gets all interfaces, so group references resolve. */
export function writeStateFile(dir: string, state: unknown, name = 'mary.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(state));
  return file;
}
