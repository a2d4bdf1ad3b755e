// What inline mode through the kernel bridge (`--capture nfqueue`) runs to set the host up: the
// bridge's commands, the nftables guard, and the record of what to put back that rides on the
// bridge's alias. (test/e2e/inline/inline-nfqueue.test.ts runs them on a real kernel.)
import { describe, expect, it } from 'vitest';
import { BRIDGE_SYSCTLS, bridgeCreateCommands, decodeRecord, encodeRecord, enslaveCommands, guardRuleset, KERNEL_BRIDGE } from '../../src/live/kernel-bridge.js';

describe('the kernel bridge of inline mode', () => {
  it('records what it found on the bridge, and reads it back; anything else is not a record', () => {
    const record = { sysctls: { 'bridge-nf-filter-vlan-tagged': '0', 'bridge-nf-filter-pppoe-tagged': '1' }, broughtUp: ['eth1'] };
    const alias = encodeRecord(record);
    expect(alias).toBe('sgfw inline: bridge-nf-filter-vlan-tagged=0 bridge-nf-filter-pppoe-tagged=1 up=eth1');
    expect(alias.length).toBeLessThanOrEqual(255);
    expect(decodeRecord(alias)).toEqual(record);
    expect(decodeRecord(encodeRecord({ sysctls: {}, broughtUp: [] }))).toEqual({ sysctls: {}, broughtUp: [] });
    expect(decodeRecord(undefined)).toBeNull();
    expect(decodeRecord('uplink to the core')).toBeNull();
    // only the switches sgfw sets are ever written back
    expect(decodeRecord('sgfw inline: bridge-nf-call-arptables=1 up=')).toBeNull();
    expect(decodeRecord('sgfw inline: bridge-nf-filter-vlan-tagged=7 up=')).toBeNull();
    expect(BRIDGE_SYSCTLS).toEqual(['bridge-nf-filter-vlan-tagged', 'bridge-nf-filter-pppoe-tagged']);
  });

  it('creates a silent bridge handing its own packets to iptables, and enslaves the ports only then', () => {
    const lines = bridgeCreateCommands({ sysctls: {}, broughtUp: [] }).map((a) => a.join(' '));
    expect(lines[0]).toBe(`link add name ${KERNEL_BRIDGE} type bridge stp_state 0 forward_delay 0 mcast_snooping 0 nf_call_iptables 1 nf_call_ip6tables 1`);
    expect(lines.slice(1)).toEqual([`link set dev ${KERNEL_BRIDGE} alias sgfw inline: up=`, `link set dev ${KERNEL_BRIDGE} addrgenmode none`, `link set dev ${KERNEL_BRIDGE} up`]);
    expect(enslaveCommands('in0', 'out0').map((a) => a.join(' '))).toEqual([
      `link set dev in0 master ${KERNEL_BRIDGE}`, 'link set dev in0 up', `link set dev out0 master ${KERNEL_BRIDGE}`, 'link set dev out0 up',
    ]);
  });

  it('guards against frames br_netfilter would bridge unjudged: a tag in a tag, PPPoE in a tag, the 0x9100 tag', () => {
    const text = guardRuleset('in0', 'out0');
    expect(text).toContain('table bridge sgfw_inline {');
    expect(text).toContain('type filter hook forward priority -200; policy accept;');
    expect(text).toContain('iifname { "in0", "out0" } ether type { 0x8100, 0x88a8 } @ll,128,16 { 0x8100, 0x88a8, 0x9100, 0x8863, 0x8864 } counter drop');
    expect(text).toContain('iifname { "in0", "out0" } ether type 0x9100 counter drop');
  });
});
