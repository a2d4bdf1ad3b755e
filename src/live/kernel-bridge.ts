// Inline mode through the kernel bridge (`sgfw run --mode inline --capture nfqueue`): the kernel
// forwards the frames between the two interfaces through a Linux bridge sgfw creates, and
// br_netfilter hands every IPv4/IPv6 packet crossing it to iptables/ip6tables, whose rules
// (queue-rules.ts, from FORWARD) queue it to sgfw's workers; sgfw answers accept or drop with the
// kernel copying headers only. Non-IP frames (ARP, …) the bridge forwards as the AF_PACKET bridge
// passes them. This module sets the host up and puts it back.
//
// What it changes, and restores on a clean stop, for each instance (one per interface pair; its
// pieces named from the pair, inline-names.ts, so several live in one namespace and each removes only
// its own):
// - a bridge `sgfw-<id>` (STP off, no forward delay, no multicast snooping, no IPv6 of its own, the
//   per-bridge br_netfilter switches nf_call_iptables/ip6tables on: other bridges of the host are
//   not handed to iptables), the two interfaces enslaved to it and brought up;
// - the namespace's `net.bridge.bridge-nf-filter-vlan-tagged` and `…-pppoe-tagged` set to 1, so a
//   VLAN-tagged (802.1Q or 802.1ad, one tag) or PPPoE-carried IP packet goes to iptables too,
//   unwrapped; left at 0 it would cross the bridge unjudged. They are the namespace's, shared by
//   every instance: each records the values found before any instance set them (an instance
//   running, or its own crash's leftover, already holds them), and they are put back by the
//   instance that leaves last (no other sgfw bridge left), whichever order the stops come in;
// - an nftables bridge table `sgfw_inline_<id>` dropping, before br_netfilter, what it would let
//   through unjudged: frames with two VLAN tags (QinQ), the 0x9100 tag, and PPPoE inside a tag (the
//   decoder of the AF_PACKET bridge judges QinQ; here it is dropped and counted by nftables);
// - the iptables/ip6tables chain `SGFW-I-<id>` and its jumps (queue-rules.ts).
// What it found (the sysctls' values, which interface was down, the pair) rides on the bridge
// itself, in its alias, so a start after a crash (which leaves everything in place: fail closed,
// nothing is forwarded while no process reads the queues) puts back its own before setting up again.
//
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CaptureError } from '../capture/capture-error.js';
import { inlineInstanceNames, type InlineInstanceNames } from './inline-names.js';
import { installQueueRules, removeQueueRules, type BridgePair, type QueueRuleOptions } from './queue-rules.js';

const run = promisify(execFile);

/** The namespace's br_netfilter switches sgfw sets to 1 (and back). */
export const BRIDGE_SYSCTLS = ['bridge-nf-filter-vlan-tagged', 'bridge-nf-filter-pppoe-tagged'] as const;
const SYSCTL_DIR = '/proc/sys/net/bridge';
const RECORD_PREFIX = 'sgfw inline:';

export class KernelBridgeError extends Error {
  override readonly name = 'KernelBridgeError';
}

/** What sgfw found before it changed anything: put back on a stop. */
export interface BridgeRecord {
  /** each BRIDGE_SYSCTLS' prior value */
  sysctls: Record<string, string>;
  /** the interfaces sgfw brought up (they were down) */
  broughtUp: string[];
  /** the instance's interfaces, inside then outside (for whoever reads the alias) */
  ports: string[];
}

/** The record as the bridge's alias (`ip link set … alias`, at most 255 bytes). */
export function encodeRecord(r: BridgeRecord): string {
  const sysctls = Object.entries(r.sysctls).map(([k, v]) => `${k}=${v}`);
  return [RECORD_PREFIX, `ports=${r.ports.join(',')}`, ...sysctls, `up=${r.broughtUp.join(',')}`].join(' ');
}

/** The record an alias holds; null when the alias is not one (not sgfw's, or cut). */
export function decodeRecord(alias: string | undefined): BridgeRecord | null {
  if (!alias?.startsWith(RECORD_PREFIX)) return null;
  const r: BridgeRecord = { sysctls: {}, broughtUp: [], ports: [] };
  for (const word of alias.slice(RECORD_PREFIX.length).trim().split(/\s+/)) {
    const [k, v] = word.split('=', 2) as [string, string | undefined];
    if (v === undefined) return null;
    if (k === 'up') r.broughtUp = v === '' ? [] : v.split(',');
    else if (k === 'ports') r.ports = v === '' ? [] : v.split(',');
    else if ((BRIDGE_SYSCTLS as readonly string[]).includes(k) && /^[01]$/.test(v)) r.sysctls[k] = v;
    else return null;
  }
  return r;
}

/** `ip` argument lists that create the bridge (down, no ports) with the record as its alias. */
export function bridgeCreateCommands(record: BridgeRecord, name: string): string[][] {
  return [
    ['link', 'add', 'name', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0', 'nf_call_iptables', '1', 'nf_call_ip6tables', '1'],
    ['link', 'set', 'dev', name, 'alias', encodeRecord(record)],
    // No IPv6 of its own: no link-local address, DAD or router solicitation on the wire.
    ['link', 'set', 'dev', name, 'addrgenmode', 'none'],
    ['link', 'set', 'dev', name, 'up'],
  ];
}

/** `ip` argument lists that put the interfaces in the bridge, up. */
export function enslaveCommands(inside: string, outside: string, name: string): string[][] {
  return [inside, outside].flatMap((dev) => [
    ['link', 'set', 'dev', dev, 'master', name],
    ['link', 'set', 'dev', dev, 'up'],
  ]);
}

/** EtherTypes that may carry IP br_netfilter never hands to iptables (MPLS, MAC-in-MAC, NSH, MACsec): the decoder's opaque carriers. */
const OPAQUE_ETHERTYPES = '0x8847, 0x8848, 0x88e7, 0x894f, 0x88e5';
/** PPP protocols carrying IP no verdict can read (VJ, multilink, encrypted, compressed, MPLS): the decoder's, packet/pppoe.ts. */
const OPAQUE_PPP = '0x002d, 0x002f, 0x003d, 0x0053, 0x0055, 0x00fb, 0x00fd, 0x0281, 0x0283';
/** What an LLC/SNAP header (RFC 1042) may name that is IP, a tag or an opaque carrier: the decoder's isSnapIp. */
const SNAP_CARRIED = `0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x8864, ${OPAQUE_ETHERTYPES}`;

/**
 * The nftables guard table (`nft -f -`): before br_netfilter (priority -200 on the bridge's forward
 * hook), drop frames from the two ports whose IP br_netfilter would not hand to iptables: a tag in a
 * tag (802.1Q or 802.1ad outside, any tag or PPPoE inside; the kernel moved the outer tag out of
 * the frame, nftables puts it back for the match), or the 0x9100 tag it does not take out at all;
 * the EtherTypes and PPP protocols the AF_PACKET bridge's decoder drops as unsupported (IP inside
 * them, unwrapped by no one here), a PPP protocol field compressed to one byte (br_netfilter reads
 * two), and 802.3 LLC/SNAP frames naming IP or a tag.
 */
export function guardRuleset(inside: string, outside: string, table: string): string {
  const ports = `{ ${JSON.stringify(inside)}, ${JSON.stringify(outside)} }`;
  return [
    `table bridge ${table} {`,
    '  chain forward {',
    '    type filter hook forward priority -200; policy accept;',
    `    iifname ${ports} ether type { 0x8100, 0x88a8 } @ll,128,16 { 0x8100, 0x88a8, 0x9100, 0x8863, 0x8864, ${OPAQUE_ETHERTYPES} } counter drop comment "two tags, PPPoE or opaque IP in a tag: not judgeable by iptables"`,
    `    iifname ${ports} ether type 0x9100 counter drop comment "0x9100 tag: not judgeable by iptables"`,
    `    iifname ${ports} ether type { ${OPAQUE_ETHERTYPES} } counter drop comment "MPLS, MAC-in-MAC, NSH, MACsec: IP inside not judgeable"`,
    `    iifname ${ports} ether type 0x8864 @ll,160,16 { ${OPAQUE_PPP} } counter drop comment "PPP compressed, encrypted, multilink or MPLS: not judgeable"`,
    `    iifname ${ports} ether type 0x8864 @ll,160,8 & 0x01 == 0x01 counter drop comment "PPP protocol field compressed: not judgeable by iptables"`,
    `    iifname ${ports} ether type < 0x0600 @ll,112,48 0xaaaa03000000 @ll,160,16 { ${SNAP_CARRIED} } counter drop comment "LLC/SNAP IP: not judgeable by iptables"`,
    `    iifname ${ports} ether type { 0x8100, 0x88a8 } @ll,128,16 < 0x0600 @ll,144,48 0xaaaa03000000 @ll,192,16 { ${SNAP_CARRIED} } counter drop comment "LLC/SNAP IP in a tag: not judgeable by iptables"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

async function tool(binary: string, args: string[], input?: string): Promise<{ ok: boolean; out: string; message: string; missing: boolean }> {
  try {
    const p = run(binary, args);
    if (input !== undefined) p.child.stdin?.end(input);
    const { stdout } = await p;
    return { ok: true, out: stdout, message: '', missing: false };
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: unknown };
    if (err.code === 'ENOENT') return { ok: false, out: '', message: `${binary}: not found: --capture nfqueue needs ip, iptables, ip6tables and nft (packages iproute2, iptables, nftables)`, missing: true };
    return { ok: false, out: '', message: (err.stderr || err.message).trim(), missing: false };
  }
}

async function must(binary: string, args: string[], input?: string): Promise<string> {
  const r = await tool(binary, args, input);
  if (!r.ok) throw new KernelBridgeError(r.missing ? r.message : `${binary} ${args.join(' ')}: ${r.message}`);
  return r.out;
}

interface LinkInfo {
  ifindex: number;
  ifname: string;
  flags: string[];
  master?: string;
  link_type?: string;
  ifalias?: string;
}

/** The interface as `ip -j -d link show` sees it; null when there is none of that name. */
async function link(name: string): Promise<LinkInfo | null> {
  const r = await tool('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  if (!r.ok) {
    if (/does not exist|Cannot find device/.test(r.message)) return null;
    throw new KernelBridgeError(r.missing ? r.message : `ip link show dev ${name}: ${r.message}`);
  }
  return (JSON.parse(r.out) as LinkInfo[])[0] ?? null;
}

async function readSysctl(name: string): Promise<string> {
  return (await readFile(`${SYSCTL_DIR}/${name}`, 'utf8')).trim();
}

/**
 * br_netfilter's switches exist in this namespace (the module is loaded), loading it when they do
 * not; throws one line when it cannot be.
 */
async function needBrNetfilter(): Promise<void> {
  try {
    await readSysctl(BRIDGE_SYSCTLS[0]);
    return;
  } catch {
    // not loaded (or not built): try to load it
  }
  const r = await tool('modprobe', ['br_netfilter']);
  try {
    await readSysctl(BRIDGE_SYSCTLS[0]);
  } catch {
    throw new KernelBridgeError(`br_netfilter is not available (${SYSCTL_DIR} is missing${r.ok ? '' : r.missing ? '; no modprobe to load it' : `; modprobe br_netfilter: ${r.message}`}): --capture nfqueue needs it to hand bridged packets to iptables`);
  }
}

/** The records of the namespace's sgfw bridges but `own`: the other inline instances running (or crashed). */
async function otherInstances(own: string): Promise<BridgeRecord[]> {
  const r = await tool('ip', ['-j', '-d', 'link', 'show', 'type', 'bridge']);
  if (!r.ok) return [];
  return (JSON.parse(r.out || '[]') as LinkInfo[])
    .filter((l) => l.ifname !== own)
    .map((l) => decodeRecord(l.ifalias))
    .filter((x): x is BridgeRecord => x !== null);
}

/**
 * Removes this instance's pieces an earlier run left (a clean stop's or a crash's): the bridge goes
 * first (the interfaces leave it, nothing is bridged any more), then the queue rules, the guard
 * table and the interfaces' down state the bridge's alias recorded. Another instance's are never
 * touched, and neither are the shared sysctls. Resolves with the leftover bridge's record (null: no
 * bridge) and what failed (every step is tried).
 */
async function clearOwn(n: InlineInstanceNames, pair: BridgePair): Promise<{ record: BridgeRecord | null; errors: string[] }> {
  const errors: string[] = [];
  const bridge = await link(n.bridge).catch(() => null);
  const record = decodeRecord(bridge?.ifalias);
  if (bridge) {
    const r = await tool('ip', ['link', 'del', 'dev', n.bridge]);
    if (!r.ok) errors.push(`ip link del dev ${n.bridge}: ${r.message}`);
  }
  await removeQueueRules({ bridge: pair });
  const t = await tool('nft', ['list', 'table', 'bridge', n.table]);
  if (t.ok) {
    const r = await tool('nft', ['delete', 'table', 'bridge', n.table]);
    if (!r.ok) errors.push(`nft delete table bridge ${n.table}: ${r.message}`);
  }
  for (const dev of record?.broughtUp ?? []) {
    // (an interface gone meanwhile has nothing to restore)
    if (await link(dev).catch(() => null)) {
      const r = await tool('ip', ['link', 'set', 'dev', dev, 'down']);
      if (!r.ok) errors.push(`ip link set dev ${dev} down: ${r.message}`);
    }
  }
  return { record, errors };
}

/** Writes the sysctls back as `record` found them, unless another instance still runs (it needs them set). */
async function putSysctlsBack(n: InlineInstanceNames, record: BridgeRecord | null, errors: string[]): Promise<void> {
  if (!record || (await otherInstances(n.bridge)).length > 0) return;
  for (const [k, v] of Object.entries(record.sysctls)) {
    await writeFile(`${SYSCTL_DIR}/${k}`, v).catch((e: Error) => errors.push(`${SYSCTL_DIR}/${k}: ${e.message}`));
  }
}

/**
 * Puts the host back after this instance (the stop's): its own pieces (clearOwn), then, if it was
 * the last instance, the shared sysctls. The first failure is thrown at the end.
 */
export async function restoreKernelBridge(pair: BridgePair): Promise<void> {
  const n = inlineInstanceNames(pair.inside, pair.outside);
  const { record, errors } = await clearOwn(n, pair);
  await putSysctlsBack(n, record, errors);
  if (errors.length > 0) throw new KernelBridgeError(`restoring the host after inline mode: ${errors[0]}`);
}

export interface KernelBridgeOptions extends Omit<QueueRuleOptions, 'bridge' | 'chain'> {
  inside: string;
  outside: string;
}

/**
 * The two interfaces, checked (they exist, are Ethernet, and are in no bridge but a leftover of
 * ours); resolves with the inside one's ifindex (its packets' NFQA_IFINDEX_PHYSINDEV). A bad
 * interface: a CaptureError naming it.
 */
export async function checkPorts(o: Pick<KernelBridgeOptions, 'inside' | 'outside'>): Promise<{ insideIndex: number; down: string[] }> {
  const ports: LinkInfo[] = [];
  for (const dev of [o.inside, o.outside]) {
    const l = await link(dev);
    if (!l) throw new CaptureError(dev, 'no such interface');
    if (l.master && l.master !== inlineInstanceNames(o.inside, o.outside).bridge) throw new CaptureError(dev, `already enslaved to ${l.master}: --capture nfqueue puts it in a bridge of its own (take it out: ip link set dev ${dev} nomaster)`);
    if (l.link_type !== undefined && l.link_type !== 'ether') throw new CaptureError(dev, `inline mode bridges Ethernet; this interface has link type ${l.link_type}`);
    ports.push(l);
  }
  return { insideIndex: ports[0]!.ifindex, down: ports.filter((l) => !l.flags.includes('UP')).map((l) => l.ifname) };
}

/**
 * Removes this instance's leftovers of an earlier run, checks the interfaces and the tools, and sets
 * everything up (see the header's order). A failure undoes what was done and throws one line naming
 * what was wrong.
 */
export async function setUpKernelBridge(o: KernelBridgeOptions): Promise<void> {
  const n = inlineInstanceNames(o.inside, o.outside);
  const pair = { inside: o.inside, outside: o.outside };
  const leftover = await clearOwn(n, pair);
  if (leftover.errors.length > 0) throw new KernelBridgeError(`removing the leftovers of an earlier run: ${leftover.errors[0]}`);
  // What to put back when the last instance leaves: a crashed run's record carries it on.
  let record: BridgeRecord | null = leftover.record;
  try {
    const { down } = await checkPorts(o);
    const xt = await tool('iptables', ['-w', '-S', 'FORWARD']);
    if (!xt.ok) throw new KernelBridgeError(xt.missing ? xt.message : `iptables -w -S FORWARD: ${xt.message}`);
    await needBrNetfilter();
    // Read before looking for other instances: a value another set is then one its record already holds.
    const found: Record<string, string> = {};
    for (const k of BRIDGE_SYSCTLS) found[k] = await readSysctl(k);
    const sysctls = record?.sysctls ?? (await otherInstances(n.bridge))[0]?.sysctls ?? found;
    record = { sysctls, broughtUp: down, ports: [o.inside, o.outside] };
    for (const args of bridgeCreateCommands(record, n.bridge)) await must('ip', args);
    for (const k of BRIDGE_SYSCTLS) await writeFile(`${SYSCTL_DIR}/${k}`, '1');
    await must('nft', ['-f', '-'], guardRuleset(o.inside, o.outside, n.table));
    await installQueueRules({ ...o, bridge: pair });
    for (const args of enslaveCommands(o.inside, o.outside, n.bridge)) await must('ip', args);
  } catch (e) {
    const errors: string[] = [];
    await clearOwn(n, pair).catch(() => undefined);
    await putSysctlsBack(n, record, errors).catch(() => undefined);
    throw e instanceof KernelBridgeError || e instanceof CaptureError ? e : new KernelBridgeError((e as Error).message);
  }
}
