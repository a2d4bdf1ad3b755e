// `sgfw run`: live enforcement. This slice has host mode: the host's own traffic, through an
// NFQUEUE, judged by the same Dataplane as `sgfw replay`.
import { createWriteStream, type WriteStream } from 'node:fs';
import { NfqueueError, NfqueueReader } from '../capture/nfqueue.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { HostEnforcer } from '../live/host-enforcer.js';
import { installQueueRules, QueueRuleError, QUEUE_CHAIN, removeQueueRules } from '../live/queue-rules.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { STATE_FLAG, serviceFromStateFiles } from './state-flag.js';
import { UsageError } from './usage-error.js';

const MODES = ['host'] as const;

export const runCommand: Command = {
  name: 'run',
  summary: 'Enforce the security groups on live traffic (--mode host: this host, through NFQUEUE)',
  description: [
    `--mode host: installs an iptables and an ip6tables chain ${QUEUE_CHAIN}, jumped to first from INPUT and`,
    'OUTPUT, that queues every packet except loopback to NFQUEUE --queue (default 0); sgfw answers each one.',
    'Needs root (CAP_NET_ADMIN). The state files name this host\'s interfaces by address.',
    'When sgfw is not running: by default the host fails CLOSED. If sgfw dies, its rules stay and the',
    'kernel drops every queued packet (all non-loopback traffic) until sgfw runs again, which first',
    'removes the leftovers of the earlier run. With --fail-open the rule carries --queue-bypass (no',
    'reader: packets pass) and a full queue accepts instead of dropping. SIGINT/SIGTERM remove the',
    'rules and stop: after a clean stop the host is unfiltered.',
    'Exit codes: 0 stopped cleanly; 1 the queue or the rules could not be set up; 2 bad usage or state.',
  ].join('\n'),
  flags: [
    { name: 'mode', kind: 'string', value: 'MODE', required: true, description: 'host (inline and monitor are not there yet)' },
    STATE_FLAG,
    { name: 'queue', kind: 'string', value: 'N', description: 'NFQUEUE number, 0–65535 (default 0)' },
    { name: 'queue-maxlen', kind: 'string', value: 'N', description: 'packets the kernel holds for sgfw (default: the kernel\'s, 1024)' },
    { name: 'fail-open', kind: 'boolean', description: 'let traffic pass when sgfw is not reading the queue, or is behind' },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'write one JSON line per packet: packet, verdict, reason, interfaces, rules' },
  ],
  async run(args, { io }) {
    const mode = args.string('mode');
    if (!MODES.includes(mode as (typeof MODES)[number])) throw new UsageError(`--mode expects ${MODES.join(', ')}, got '${mode}'`);
    const queueNum = args.integer('queue') ?? 0;
    if (queueNum < 0 || queueNum > 65535) throw new UsageError(`--queue expects 0–65535, got ${queueNum}`);
    const maxLen = args.integer('queue-maxlen') ?? 0;
    if (maxLen < 0) throw new UsageError(`--queue-maxlen expects a positive number, got ${maxLen}`);
    const failOpen = args.boolean('fail-open');

    const service = await serviceFromStateFiles(args.strings('state'));
    const dataplane = new Dataplane(service);
    const unsubscribe = service.onChange((change) => dataplane.applyModel(change));
    const verdictsFile = args.string('verdicts');
    const verdicts: WriteStream | null = verdictsFile ? createWriteStream(verdictsFile) : null;
    const enforcer = new HostEnforcer(dataplane, verdicts);

    let reader: NfqueueReader;
    try {
      // The queue is bound before the rules exist, so no packet meets a queue with no reader.
      reader = new NfqueueReader({ queueNum, maxLen, failOpen }, enforcer.onBatch);
      reader.start();
      await installQueueRules({ queueNum, failOpen });
    } catch (e) {
      unsubscribe();
      verdicts?.end();
      if (!(e instanceof NfqueueError || e instanceof QueueRuleError)) throw e;
      io.stderr.write(`sgfw run: ${e.message}\n`);
      return ExitCode.failed;
    }
    io.stderr.write(
      `sgfw run: host mode on NFQUEUE ${queueNum}, ${[...service.interfaces()].length} managed interfaces, ` +
        `fail ${failOpen ? 'open' : 'closed'}; SIGINT/SIGTERM to stop\n`,
    );

    const signal = await new Promise<string>((resolve) => {
      const stop = (name: string): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.off('SIGHUP', hup);
        resolve(name);
      };
      // Reloading state on SIGHUP is not in this slice; without a handler SIGHUP would kill sgfw
      // and leave the host closed.
      const hup = (): void => void io.stderr.write('sgfw run: SIGHUP: state reload is not supported yet; still running\n');
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      process.on('SIGHUP', hup);
    });
    // Rules first: packets stop being queued before the reader goes away.
    await removeQueueRules();
    reader.close();
    unsubscribe();
    if (verdicts) await new Promise<void>((resolve) => verdicts.end(resolve));
    const s = reader.stats();
    io.stderr.write(
      `sgfw run: ${signal}: rules removed; packets ${enforcer.packets} allowed ${enforcer.allowed} dropped ${enforcer.dropped}` +
        (s.enobufs ? ` overruns ${s.enobufs}` : '') +
        (enforcer.failedBatches ? ` failed batches ${enforcer.failedBatches} (${enforcer.lastError?.message})` : '') +
        '\n',
    );
    return ExitCode.ok;
  },
};
