// What inline mode through the kernel bridge (`--capture nfqueue`) runs to set the host up: the
// bridge's commands, the nftables guard, and the record of what to put back that rides on the
// bridge's alias. (test/e2e/inline/inline-nfqueue.test.ts runs them on a real kernel.)
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_STRIDE, inlineInstanceNames } from '../../src/live/inline-names.js';
import { BRIDGE_SYSCTLS, bridgeCreateCommands, decodeRecord, encodeRecord, enslaveCommands, guardRuleset } from '../../src/live/kernel-bridge.js';

const KERNEL_BRIDGE = inlineInstanceNames('in0', 'out0').bridge;

describe('the kernel bridge of inline mode', () => {
  it('records what it found on the bridge, and reads it back; anything else is not a record', () => {
    const record = { sysctls: { 'bridge-nf-filter-vlan-tagged': '0', 'bridge-nf-filter-pppoe-tagged': '1' }, broughtUp: ['eth1'], ports: ['eth1', 'eth2'] };
    const alias = encodeRecord(record);
    expect(alias).toBe('sgfw inline: ports=eth1,eth2 bridge-nf-filter-vlan-tagged=0 bridge-nf-filter-pppoe-tagged=1 up=eth1');
    // the longest: two 15-character interface names, both brought up
    const long = { ...record, broughtUp: ['a'.repeat(15), 'b'.repeat(15)], ports: ['a'.repeat(15), 'b'.repeat(15)] };
    expect(encodeRecord(long).length).toBeLessThanOrEqual(255);
    expect(decodeRecord(encodeRecord(long))).toEqual(long);
    expect(alias.length).toBeLessThanOrEqual(255);
    expect(decodeRecord(alias)).toEqual(record);
    expect(decodeRecord(encodeRecord({ sysctls: {}, broughtUp: [], ports: [] }))).toEqual({ sysctls: {}, broughtUp: [], ports: [] });
    expect(decodeRecord(undefined)).toBeNull();
    expect(decodeRecord('uplink to the core')).toBeNull();
    // only the switches sgfw sets are ever written back
    expect(decodeRecord('sgfw inline: bridge-nf-call-arptables=1 up=')).toBeNull();
    expect(decodeRecord('sgfw inline: bridge-nf-filter-vlan-tagged=7 up=')).toBeNull();
    expect(BRIDGE_SYSCTLS).toEqual(['bridge-nf-filter-vlan-tagged', 'bridge-nf-filter-pppoe-tagged']);
  });

  it('creates a silent bridge handing its own packets to iptables, and enslaves the ports only then', () => {
    const lines = bridgeCreateCommands({ sysctls: {}, broughtUp: [], ports: ['in0', 'out0'] }, KERNEL_BRIDGE).map((a) => a.join(' '));
    expect(lines[0]).toBe(`link add name ${KERNEL_BRIDGE} type bridge stp_state 0 forward_delay 0 mcast_snooping 0 nf_call_iptables 1 nf_call_ip6tables 1`);
    expect(lines.slice(1)).toEqual([`link set dev ${KERNEL_BRIDGE} alias sgfw inline: ports=in0,out0 up=`, `link set dev ${KERNEL_BRIDGE} addrgenmode none`, `link set dev ${KERNEL_BRIDGE} up`]);
    expect(enslaveCommands('in0', 'out0', KERNEL_BRIDGE).map((a) => a.join(' '))).toEqual([
      `link set dev in0 master ${KERNEL_BRIDGE}`, 'link set dev in0 up', `link set dev out0 master ${KERNEL_BRIDGE}`, 'link set dev out0 up',
    ]);
  });

  it('guards against frames br_netfilter would bridge unjudged: a tag in a tag, PPPoE in a tag, the 0x9100 tag', () => {
    const text = guardRuleset('in0', 'out0', 'sgfw_inline_0123abcd');
    expect(text).toContain('table bridge sgfw_inline_0123abcd {');
    expect(text).toContain('type filter hook forward priority -200; policy accept;');
    expect(text).toContain('iifname { "in0", "out0" } ether type { 0x8100, 0x88a8 } @ll,128,16 { 0x8100, 0x88a8, 0x9100, 0x8863, 0x8864, 0x8847, 0x8848, 0x88e7, 0x894f, 0x88e5 } counter drop');
    expect(text).toContain('iifname { "in0", "out0" } ether type 0x9100 counter drop');
  });

  it('drops what the AF_PACKET bridge\'s decoder drops as unsupported: IP in MPLS, MAC-in-MAC, NSH, MACsec, opaque PPP, LLC/SNAP', () => {
    const text = guardRuleset('in0', 'out0', 'sgfw_inline_0123abcd');
    expect(text).toContain('iifname { "in0", "out0" } ether type { 0x8847, 0x8848, 0x88e7, 0x894f, 0x88e5 } counter drop');
    expect(text).toContain('ether type 0x8864 @ll,160,16 { 0x002d, 0x002f, 0x003d, 0x0053, 0x0055, 0x00fb, 0x00fd, 0x0281, 0x0283 } counter drop');
    // br_netfilter reads a two-byte PPP protocol: a compressed one (odd first byte) would cross unjudged
    expect(text).toContain('ether type 0x8864 @ll,160,8 & 0x01 == 0x01 counter drop');
    expect(text).toContain('ether type < 0x0600 @ll,112,48 0xaaaa03000000 @ll,160,16 { 0x0800, 0x86dd,');
    // and in one tag (br_netfilter hands a tagged frame to iptables only when the tag carries IP itself)
    expect(text).toContain('ether type { 0x8100, 0x88a8 } @ll,128,16 < 0x0600 @ll,144,48 0xaaaa03000000 @ll,192,16 { 0x0800, 0x86dd,');
  });

  it('names each instance\'s pieces from its interface pair: stable, within the kernel\'s limits, apart from another pair\'s', () => {
    const a = inlineInstanceNames('fw-in', 'fw-out');
    // the same pair, the same names, on every start (a crash's leftovers are found again)
    expect(inlineInstanceNames('fw-in', 'fw-out')).toEqual(a);
    expect(a.id).toMatch(/^[0-9a-f]{8}$/);
    expect(a).toMatchObject({ bridge: `sgfw-${a.id}`, chain: `SGFW-I-${a.id}`, table: `sgfw_inline_${a.id}` });
    // (the sha256 of 'fw-in:fw-out' begins so: no hidden salt, a script can find them too)
    expect(a.id).toBe('21d73d6c');
    expect(a.bridge.length).toBeLessThanOrEqual(15); // IFNAMSIZ - 1
    expect(a.chain.length).toBeLessThanOrEqual(28); // XT_EXTENSION_MAXNAMELEN - 1
    // another pair, or the same interfaces the other way round, is another instance
    for (const [i, o] of [['fw-in2', 'fw-out2'], ['fw-out', 'fw-in']] as const) {
      const b = inlineInstanceNames(i, o);
      expect(b.id, `${i}:${o}`).not.toBe(a.id);
      expect(b.bridge).not.toBe(a.bridge);
    }
    // default queues: from 1024 on (host mode's default is 0), a whole stride of 64 within 0–65535
    const bases = ['eth0:eth1', 'eth2:eth3', 'ens5:ens6', 'a:b', 'veth-in:veth-out'].map((p) => inlineInstanceNames(...(p.split(':') as [string, string])).queueBase);
    for (const q of bases) {
      expect(q).toBeGreaterThanOrEqual(1024);
      expect((q - 1024) % DEFAULT_QUEUE_STRIDE).toBe(0);
      expect(q + DEFAULT_QUEUE_STRIDE - 1).toBeLessThanOrEqual(65535);
    }
    expect(new Set(bases).size).toBe(bases.length);
  });
});
