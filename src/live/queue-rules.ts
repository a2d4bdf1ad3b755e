// The iptables/ip6tables rules of host mode: one chain of ours, jumped to first from INPUT and
// OUTPUT, that hands every non-loopback packet to the NFQUEUE sgfw reads. nftables would do, but
// its `queue` statement is not available everywhere sgfw runs; xtables NFQUEUE is.
//
// Fail closed: without --queue-bypass the kernel drops a queued packet when no process has the
// queue bound, so a crashed sgfw leaves the host closed (except loopback) until it runs again,
// which first removes these leftovers. A clean stop removes the rules: the host is then open.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

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
}

/** Argument lists (after the iptables binary) that install the rules, in order. */
export function installCommands(o: QueueRuleOptions): string[][] {
  const chain = o.chain ?? QUEUE_CHAIN;
  const queues = o.queues ?? 1;
  // --queue-balance spreads packets by a hash of their address pair that is the same both ways
  // (the kernel's nfqueue_hash), so a flow's packets, either direction, reach one queue.
  const queue = queues > 1 ? ['-j', 'NFQUEUE', '--queue-balance', `${o.queueNum}:${o.queueNum + queues - 1}`] : ['-j', 'NFQUEUE', '--queue-num', String(o.queueNum)];
  if (o.failOpen) queue.push('--queue-bypass');
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
export function removeCommands(chain = QUEUE_CHAIN): string[][] {
  return [
    ['-w', '-D', 'INPUT', '-j', chain],
    ['-w', '-D', 'OUTPUT', '-j', chain],
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
export async function removeQueueRules(chain = QUEUE_CHAIN): Promise<void> {
  for (const binary of XTABLES) {
    for (const hook of ['INPUT', 'OUTPUT']) {
      // Bounded: a crash loop could have left a few jumps behind, never thousands.
      for (let i = 0; i < 64; i++) if (!(await xt(binary, ['-w', '-D', hook, '-j', chain])).ok) break;
    }
    for (const args of removeCommands(chain).slice(2)) await xt(binary, args);
  }
}

/** Removes leftovers of an earlier run, then installs the rules for IPv4 and IPv6; all or nothing. */
export async function installQueueRules(o: QueueRuleOptions): Promise<void> {
  await removeQueueRules(o.chain);
  for (const binary of XTABLES) {
    for (const args of installCommands(o)) {
      const r = await xt(binary, args);
      if (!r.ok) {
        await removeQueueRules(o.chain);
        throw new QueueRuleError(`${binary} ${args.join(' ')}: ${r.message}`);
      }
    }
  }
}
