// The iptables/ip6tables rules of host mode: one chain of ours, jumped to first from INPUT and
// OUTPUT, that hands every non-loopback packet to the NFQUEUE sgfw reads. nftables would do, but
// its `queue` statement is not available everywhere sgfw runs; xtables NFQUEUE is.
//
// Fail closed: without --queue-bypass the kernel drops a queued packet when no process has the
// queue bound, so a crashed sgfw leaves the host closed (except loopback) until it runs again,
// which first removes these leftovers. A clean stop removes the rules: the host is then open.
//
// Inline mode through the kernel bridge (`--capture nfqueue`, kernel-bridge.ts) queues from FORWARD
// instead, in a chain of each instance's own (inline-names.ts): every packet br_netfilter hands to
// iptables/ip6tables on its way between the bridge's two ports (`-m physdev --physdev-in A
// --physdev-out B`, both ways).
//
// Queues are not shared: before installing, the rules of the namespace are read, and queues another
// chain already sends to (host mode's, another inline instance's, one a crash left, anyone's) fail
// the start in one line; a queue another process has bound fails earlier, at the bind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inlineInstanceNames } from './inline-names.js';

const run = promisify(execFile);

export const QUEUE_CHAIN = 'SGFW';
export const XTABLES = ['iptables', 'ip6tables'] as const;

export interface QueueRuleOptions {
  queueNum: number;
  /** queues from queueNum on, one per worker thread (`--queue-balance`; default 1) */
  queues?: number;
  /** --queue-bypass: with no process reading the queue, packets pass instead of being dropped */
  failOpen: boolean;
  chain?: string;
  /** inline mode: queue the packets bridged between these two ports (from FORWARD), not the host's own */
  bridge?: BridgePair;
}

/** The two ports of an inline instance's kernel bridge. */
export interface BridgePair {
  inside: string;
  outside: string;
}

/** Which rules (host mode's, or an inline instance's: its `bridge`), for what only needs to know that: their removal. */
interface QueueRuleKind {
  bridge?: BridgePair;
  chain?: string;
}

/** The built-in chains that jump to ours. */
function hooksOf(o: QueueRuleKind): string[] {
  return o.bridge ? ['FORWARD'] : ['INPUT', 'OUTPUT'];
}

/** What QueueRuleOptions.chain defaults to. */
function chainOf(o: QueueRuleKind): string {
  return o.chain ?? (o.bridge ? inlineInstanceNames(o.bridge.inside, o.bridge.outside).chain : QUEUE_CHAIN);
}

/** Argument lists (after the iptables binary) that install the rules, in order. */
export function installCommands(o: QueueRuleOptions): string[][] {
  const chain = chainOf(o);
  const queues = o.queues ?? 1;
  // --queue-balance spreads packets by a hash of their address pair that is the same both ways
  // (the kernel's nfqueue_hash), so a flow's packets, either direction, reach one queue.
  const queue = queues > 1 ? ['-j', 'NFQUEUE', '--queue-balance', `${o.queueNum}:${o.queueNum + queues - 1}`] : ['-j', 'NFQUEUE', '--queue-num', String(o.queueNum)];
  if (o.failOpen) queue.push('--queue-bypass');
  if (o.bridge) {
    const { inside, outside } = o.bridge;
    return [
      ['-w', '-N', chain],
      ['-w', '-A', chain, '-m', 'physdev', '--physdev-in', inside, '--physdev-out', outside, ...queue],
      ['-w', '-A', chain, '-m', 'physdev', '--physdev-in', outside, '--physdev-out', inside, ...queue],
      ['-w', '-I', 'FORWARD', '1', '-j', chain],
    ];
  }
  return [
    ['-w', '-N', chain],
    // Loopback is the host talking to itself, not traffic through a managed interface.
    ['-w', '-A', chain, '-i', 'lo', '-j', 'RETURN'],
    ['-w', '-A', chain, '-o', 'lo', '-j', 'RETURN'],
    ['-w', '-A', chain, ...queue],
    ['-w', '-I', 'INPUT', '1', '-j', chain],
    ['-w', '-I', 'OUTPUT', '1', '-j', chain],
  ];
}

/** Argument lists that remove every trace of the chain; each may fail when there is nothing to remove. */
export function removeCommands(o: QueueRuleKind = {}): string[][] {
  const chain = chainOf(o);
  return [
    ...hooksOf(o).map((hook) => ['-w', '-D', hook, '-j', chain]),
    ['-w', '-F', chain],
    ['-w', '-X', chain],
  ];
}

export class QueueRuleError extends Error {
  override readonly name = 'QueueRuleError';
}

async function xt(binary: string, args: string[]): Promise<{ ok: boolean; message: string }> {
  try {
    await run(binary, args);
    return { ok: true, message: '' };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, message: (err.stderr || err.message).trim() };
  }
}

async function listRules(binary: string): Promise<string> {
  try {
    return (await run(binary, ['-w', '-S'])).stdout;
  } catch {
    // (a family that cannot be listed fails the install just after, naming why)
    return '';
  }
}

/** Removes our chain and its jumps from both families (a jump inserted twice is removed twice). */
export async function removeQueueRules(o: QueueRuleKind = {}): Promise<void> {
  const chain = chainOf(o);
  const hooks = hooksOf(o);
  for (const binary of XTABLES) {
    for (const hook of hooks) {
      // Bounded: a crash loop could have left a few jumps behind, never thousands.
      for (let i = 0; i < 64; i++) if (!(await xt(binary, ['-w', '-D', hook, '-j', chain])).ok) break;
    }
    for (const args of removeCommands(o).slice(hooks.length)) await xt(binary, args);
  }
}

/**
 * The chains of a ruleset (`iptables -S`) other than `own` with an NFQUEUE rule sending to a queue
 * from `first` to `last`; none: the queues are free.
 */
export function chainsQueueingTo(ruleset: string, first: number, last: number, own: string): string[] {
  const chains = new Set<string>();
  for (const line of ruleset.split('\n')) {
    const m = /^-A (\S+) .*-j NFQUEUE\b(.*)$/.exec(line.trim());
    if (!m || m[1] === own) continue;
    const balance = /--queue-balance (\d+):(\d+)/.exec(m[2]!);
    const num = /--queue-num (\d+)/.exec(m[2]!);
    const [from, to] = balance ? [Number(balance[1]), Number(balance[2])] : num ? [Number(num[1]), Number(num[1])] : [0, 0];
    if (from <= last && to >= first) chains.add(m[1]!);
  }
  return [...chains];
}

/** Removes leftovers of an earlier run, then installs the rules for IPv4 and IPv6; all or nothing. */
export async function installQueueRules(o: QueueRuleOptions): Promise<void> {
  await removeQueueRules(o);
  const first = o.queueNum;
  const last = o.queueNum + (o.queues ?? 1) - 1;
  for (const binary of XTABLES) {
    const listed = await listRules(binary);
    const others = chainsQueueingTo(listed, first, last, chainOf(o));
    if (others.length > 0) {
      const range = first === last ? `NFQUEUE ${first} is` : `NFQUEUE ${first}:${last} are`;
      throw new QueueRuleError(
        `${range} already the target of ${binary} chain ${others.join(', ')} (another sgfw: host mode, an inline instance, or the leftovers of one that crashed): give this one other queues (--queue N)`,
      );
    }
  }
  for (const binary of XTABLES) {
    for (const args of installCommands(o)) {
      const r = await xt(binary, args);
      if (!r.ok) {
        await removeQueueRules(o);
        throw new QueueRuleError(`${binary} ${args.join(' ')}: ${r.message}`);
      }
    }
  }
}
