// The iptables/ip6tables rules of host mode: one chain of ours, jumped to first from INPUT and
// OUTPUT, that hands every non-loopback packet to the NFQUEUE sgfw reads. nftables would do, but
// its `queue` statement is not available everywhere sgfw runs; xtables NFQUEUE is.
//
// Fail closed: without --queue-bypass the kernel drops a queued packet when no process has the
// queue bound, so a crashed sgfw leaves the host closed (except loopback) until it runs again,
// which first removes these leftovers. A clean stop removes the rules: the host is then open.
//
// Inline mode through the kernel bridge (`--capture nfqueue`, kernel-bridge.ts) queues from FORWARD
// instead, in a chain of its own: every packet br_netfilter hands to iptables/ip6tables on its way
// between the bridge's two ports (`-m physdev --physdev-in A --physdev-out B`, both ways).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const QUEUE_CHAIN = 'SGFW';
/** inline mode's chain, apart from host mode's so both can run on one host */
export const INLINE_CHAIN = 'SGFW-INLINE';
export const XTABLES = ['iptables', 'ip6tables'] as const;

export interface QueueRuleOptions {
  queueNum: number;
  /** queues from queueNum on, one per worker thread (`--queue-balance`; default 1) */
  queues?: number;
  /** --queue-bypass: with no process reading the queue, packets pass instead of being dropped */
  failOpen: boolean;
  chain?: string;
  /** inline mode: queue the packets bridged between these two ports (from FORWARD), not the host's own */
  bridge?: { inside: string; outside: string };
}

/** Which rules (host mode's, or inline mode's: any `bridge`), for what only needs to know that: their removal. */
interface QueueRuleKind {
  bridge?: unknown;
  chain?: string;
}

/** The built-in chains that jump to ours. */
function hooksOf(o: QueueRuleKind): string[] {
  return o.bridge ? ['FORWARD'] : ['INPUT', 'OUTPUT'];
}

/** What QueueRuleOptions.chain defaults to. */
function chainOf(o: QueueRuleKind): string {
  return o.chain ?? (o.bridge ? INLINE_CHAIN : QUEUE_CHAIN);
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

/** Removes leftovers of an earlier run, then installs the rules for IPv4 and IPv6; all or nothing. */
export async function installQueueRules(o: QueueRuleOptions): Promise<void> {
  await removeQueueRules(o);
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
