// The iptables rules host mode installs, as argument lists (the netns end-to-end test runs them).
import { describe, expect, it } from 'vitest';
import { inlineInstanceNames } from '../../src/live/inline-names.js';
import { chainsQueueingTo, installCommands, removeCommands, QUEUE_CHAIN } from '../../src/live/queue-rules.js';

const INLINE_CHAIN = inlineInstanceNames('in0', 'out0').chain;

describe('the host-mode queue rules', () => {
  it('queue everything but loopback, from INPUT and OUTPUT, to the chosen queue', () => {
    const lines = installCommands({ queueNum: 5, failOpen: false }).map((a) => a.join(' '));
    expect(lines).toEqual([
      `-w -N ${QUEUE_CHAIN}`,
      `-w -A ${QUEUE_CHAIN} -i lo -j RETURN`,
      `-w -A ${QUEUE_CHAIN} -o lo -j RETURN`,
      `-w -A ${QUEUE_CHAIN} -j NFQUEUE --queue-num 5`,
      `-w -I INPUT 1 -j ${QUEUE_CHAIN}`,
      `-w -I OUTPUT 1 -j ${QUEUE_CHAIN}`,
    ]);
  });

  it('balance over one queue per worker, from the chosen one on, failing open or closed alike', () => {
    expect(installCommands({ queueNum: 5, queues: 4, failOpen: false })[3]!.join(' ')).toBe(`-w -A ${QUEUE_CHAIN} -j NFQUEUE --queue-balance 5:8`);
    expect(installCommands({ queueNum: 0, queues: 2, failOpen: true })[3]!.join(' ')).toBe(`-w -A ${QUEUE_CHAIN} -j NFQUEUE --queue-balance 0:1 --queue-bypass`);
    expect(installCommands({ queueNum: 7, queues: 1, failOpen: false })[3]!.join(' ')).toBe(`-w -A ${QUEUE_CHAIN} -j NFQUEUE --queue-num 7`);
  });

  it('bypass the queue only when asked to fail open', () => {
    const closed = installCommands({ queueNum: 0, failOpen: false }).flat();
    const open = installCommands({ queueNum: 0, failOpen: true }).flat();
    expect(closed).not.toContain('--queue-bypass');
    expect(open.filter((a) => a === '--queue-bypass')).toHaveLength(1);
  });

  it('are removed jumps first, then the chain', () => {
    expect(removeCommands({ chain: 'X' }).map((a) => a.slice(1, 3).join(' '))).toEqual(['-D INPUT', '-D OUTPUT', '-F X', '-X X']);
  });

  it('for inline mode through the kernel bridge, queue what crosses between the two ports, both ways, from FORWARD', () => {
    const lines = installCommands({ queueNum: 3, queues: 2, failOpen: false, bridge: { inside: 'in0', outside: 'out0' } }).map((a) => a.join(' '));
    expect(lines).toEqual([
      `-w -N ${INLINE_CHAIN}`,
      `-w -A ${INLINE_CHAIN} -m physdev --physdev-in in0 --physdev-out out0 -j NFQUEUE --queue-balance 3:4`,
      `-w -A ${INLINE_CHAIN} -m physdev --physdev-in out0 --physdev-out in0 -j NFQUEUE --queue-balance 3:4`,
      `-w -I FORWARD 1 -j ${INLINE_CHAIN}`,
    ]);
    expect(installCommands({ queueNum: 0, failOpen: true, bridge: { inside: 'a', outside: 'b' } }).flat().filter((a) => a === '--queue-bypass')).toHaveLength(2);
    expect(removeCommands({ bridge: { inside: 'in0', outside: 'out0' } }).map((a) => a.slice(1).join(' '))).toEqual([`-D FORWARD -j ${INLINE_CHAIN}`, `-F ${INLINE_CHAIN}`, `-X ${INLINE_CHAIN}`]);
  });

  it('find the chains of other instances (or anyone) already sending to the queues asked for', () => {
    const other = inlineInstanceNames('in1', 'out1').chain;
    const ruleset = [
      '-P FORWARD ACCEPT',
      `-A FORWARD -j ${other}`,
      `-A ${QUEUE_CHAIN} -i lo -j RETURN`,
      `-A ${QUEUE_CHAIN} -j NFQUEUE --queue-balance 0:1`,
      `-A ${other} -m physdev --physdev-in in1 --physdev-out out1 -j NFQUEUE --queue-num 7`,
      `-A ${INLINE_CHAIN} -m physdev --physdev-in in0 --physdev-out out0 -j NFQUEUE --queue-balance 3:4 --queue-bypass`,
      '-A SURICATA -j NFQUEUE',
    ].join('\n');
    expect(chainsQueueingTo(ruleset, 1, 2, INLINE_CHAIN)).toEqual([QUEUE_CHAIN]);
    // a rule with no queue number sends to queue 0
    expect(chainsQueueingTo(ruleset, 0, 0, INLINE_CHAIN)).toEqual([QUEUE_CHAIN, 'SURICATA']);
    expect(chainsQueueingTo(ruleset, 5, 9, INLINE_CHAIN)).toEqual([other]);
    // its own chain (removed just before) is no conflict
    expect(chainsQueueingTo(ruleset, 3, 4, INLINE_CHAIN)).toEqual([]);
    expect(chainsQueueingTo(ruleset, 8, 100, INLINE_CHAIN)).toEqual([]);
  });
});
