// `sgfw run`: live enforcement. This file parses the flags; each mode's wiring is in run-<mode>.ts,
// the model (state files, the EC2 API with --listen, a fleet agent on etcd with --store, or an EC2
// account with --source ec2) in run-model.ts, run-fleet.ts and run-source.ts.
import { defaultCaptureMethod, INLINE_CAPTURE_METHODS, type CaptureMethod, type InlineCaptureMethod } from '../capture/capture-method.js';
import { REALTIME_PRIORITY } from '../capture/realtime-thread.js';
import { HOST_ID_PATTERN } from '../control/service.js';
import { inlineInstanceNames } from '../live/inline-names.js';
import { QUEUE_CHAIN } from '../live/queue-rules.js';
import { availableCores, captureWorkers, WORKERS_FLAG, workersFlag } from './flags-workers.js';
import { runInlineWorkers } from './run-inline-workers.js';
import { runHostWorkers, runInlineQueue } from './run-host-workers.js';
import { runMonitorWorkers } from './run-monitor-workers.js';
import { parseListenAddress, type ListenAddress } from '../observe/metrics-server.js';
import { DEFAULT_STATE_DIR } from './api-attach.js';
import { API_ENDPOINT_FLAGS, apiEndpointFlagsGiven, apiListenAt } from './flags-api-endpoint.js';
import { FLOW_LOG_FLAGS, flowLogFlagValues } from './flags-flow-log.js';
import { hostPortOrPort, integerIn, listenAddress, oneOf, secondsIn } from './flags-checks.js';
import { LOG_FLAGS, loggerFromFlags } from './flags-log.js';
import { STORE_ACCESS_FLAGS, STORE_PASSWORD_ENV, storeFlag, storeFlags, warnCertificateExpiry, type StoreFlags } from './flags-store.js';
import type { Command } from './command.js';
import { DEFAULT_AGENT_STATE_DIR, defaultAgentStateFile, type FleetFlags } from './run-fleet.js';
import { runHost, type HostFlags } from './run-host.js';
import { runInline } from './run-inline.js';
import { runMonitorMode } from './run-monitor.js';
import type { ApiFlags } from './run-model.js';
import type { RunOptions } from './run-options.js';
import { SOURCE_FLAGS, sourceFlags, type SourceFlags } from './run-source.js';
import { STATE_FLAG } from './state-flag.js';
import { UsageError } from './usage-error.js';

const MODES = ['host', 'monitor', 'inline'] as const;
/**
 * Host mode's NFQUEUE length per queue. The kernel's 1024 is a few milliseconds of one TCP flow:
 * a reader descheduled that long (a busy host) had the kernel drop what came meanwhile, which TCP
 * pays in retransmits. 8192 queued packets are at most ~16 MB of kernel memory per queue at 1500
 * bytes (bench/live.mjs, 4 clients: no queue drops left, TCP +22–68%; BENCHMARKS.md).
 */
const DEFAULT_QUEUE_MAXLEN = 8192;

/** One queue per worker from `queueNum` on: the last must be a queue (host mode and inline mode through the kernel bridge). */
function checkQueueRange(queueNum: number, workers: number): void {
  if (queueNum + workers - 1 > 65535) throw new UsageError(`--queue ${queueNum} with --workers ${workers} runs past queue 65535 (one queue per worker)`);
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Enforce the security groups on live traffic (host: this host, through NFQUEUE; inline: between two interfaces; monitor: judge only)',
  description: [
    `--mode host: installs an iptables and an ip6tables chain ${QUEUE_CHAIN}, jumped to first from INPUT and`,
    'OUTPUT, that queues every packet except loopback to NFQUEUE --queue (default 0); sgfw answers each one.',
    'Needs root (CAP_NET_ADMIN). The state files name this host\'s interfaces by address.',
    'When sgfw is not running: by default the host fails CLOSED. If sgfw dies, its rules stay and the',
    'kernel drops every queued packet (all non-loopback traffic) until sgfw runs again, which first',
    'removes the leftovers of the earlier run. With --fail-open the rule carries --queue-bypass (no',
    'reader: packets pass) and a full queue accepts instead of dropping. SIGINT/SIGTERM remove the',
    'rules and stop: after a clean stop the host is unfiltered.',
    'Once the queue is open and the rules are in, sgfw keeps only CAP_NET_ADMIN and CAP_NET_RAW (also',
    'for the iptables it runs to remove them); the state files must stay readable by root without DAC_OVERRIDE.',
    'SIGHUP re-reads the --state files: if they all load, their rules are in force for the next packet',
    'and tracked connections keep their state (as on AWS); if one is bad, the rules in force stay and',
    'the error is logged naming the file.',
    'Logs (every mode): JSON lines (pino) on stderr, or one human line each on a terminal or with --log-format pretty:',
    'start, ready (its message ends "SIGINT/SIGTERM to stop"), stop with the counters, reloads with what changed, and',
    'dropped packets with their reason, at most --drop-log-rate a second (the rest are counted). --log-level filters them.',
    '--metrics HOST:PORT serves Prometheus metrics at /metrics (a bare PORT listens on 127.0.0.1), and beside them',
    '/healthz, /readyz and /status (JSON: what `sgfw status` prints); every mode.',
    '--flow-log FILE (every mode): VPC Flow Logs v2 records, a header line first, aggregated per interface, flow and',
    'action over 60 s windows aligned to the minute and appended as each ends (and on stop); rotated to FILE.1…FILE.N',
    'by size or age; SIGHUP reopens it (logrotate), and a moved file is noticed at the next write.',
    '--mode monitor --interface IF: passive capture of both directions; nothing is dropped, would-be verdicts go',
    'to --verdicts and --flow-log: try rules before enforcing them. --capture as for inline mode: afpacket (the',
    'default when built) judges a ring block at a time and the stop summary says how many frames the kernel dropped',
    'because the ring was full; pcap uses libpcap (no drop count). Needs CAP_NET_RAW. SIGHUP re-reads the --state files as in',
    'host mode (the new rules judge the next frame, tracked flows keep their state, a bad file keeps the rules in force), on one',
    'thread or every worker.',
    '--workers N (every live mode; default the cores available, 1 judges on the main thread): N threads judge, each with its own',
    'Dataplane and connection tracking; host mode gives each an NFQUEUE queue, inline and monitor modes an AF_PACKET socket per',
    'interface in a PACKET_FANOUT group, whose hash sends both directions of a flow and the ICMP errors quoting it to one worker.',
    'Verdict lines, flow logs, metrics, /status and the stop summary read as one thread\'s; an API call answers once in force on all.',
    '--capture pcap is one thread\'s (libpcap has no fanout): --workers N > 1 with it is refused, and without --workers it runs on 1.',
    '--mode inline --inside IF --outside IF: a bump in the wire. Both interfaces are captured',
    '(promiscuous; give them no IP addresses) and each allowed frame is sent out of the other one. --capture',
    'afpacket (the default when native-bindings/afpacket is built) reads an AF_PACKET ring a block at a time and',
    'sends each block\'s allowed frames in one syscall, and exports the kernel\'s capture drops as metrics;',
    '--capture pcap uses libpcap (one callback and one send per frame, no drop counts). The managed',
    'interfaces are found by address, as in the state: the hosts behind --inside carry the ENI addresses.',
    'ARP, other non-IP frames and IPv6 neighbour discovery pass; malformed IP is dropped. Needs CAP_NET_RAW.',
    '--capture nfqueue: the kernel forwards instead, through a bridge sgfw-<id> that sgfw creates (<id>: 8 hex digits',
    'of a hash of INSIDE:OUTSIDE, so several instances, one per pair, live side by side); br_netfilter hands each IP',
    'packet crossing it to iptables, whose chain SGFW-I-<id> (from FORWARD, -m physdev) queues it to NFQUEUE --queue…',
    '(default: from 1024 on, derived from <id>, apart from host mode\'s 0; one queue per worker; headers only, GSO',
    'packets whole) for the same verdicts. Queues another process has bound, or another chain sends to, fail the',
    'start in one line. It sets the namespace\'s bridge-nf-filter-vlan-tagged and -pppoe-tagged to 1 (tagged IP is',
    'judged; the last instance to stop puts them back) and an nftables table bridge sgfw_inline_<id> drops QinQ;',
    'a clean stop puts its own pieces back, the next start after a crash too. Fail closed (--fail-open: bypass).',
    'Needs CAP_NET_ADMIN, ip, iptables, nft and br_netfilter.',
    '--listen HOST:PORT serves the EC2 Query API (as `sgfw serve`) over the durable state in --state-dir',
    `(default ${DEFAULT_STATE_DIR}; --state then only seeds an empty one): an accepted call is in force for the`,
    'next packet, and SIGHUP has no state to reload (it re-reads --tls-cert and --tls-key). --api-host, --tls-cert and',
    '--tls-key mean what they do for `sgfw serve`. Without --listen or --store, --state is required.',
    '--store etcd[s]://HOST:PORT[,HOST:PORT…][/PREFIX/] --host-id NAME (host and inline modes): a fleet agent enforces the',
    'interfaces registered with HostId NAME in the etcd state that `sgfw serve --store` keeps, following changes through a',
    'watch; each etcd transaction is in force whole, in revision order, for the next packet. A lease-bound key',
    'status/NAME reports the revision applied, and /metrics adds sgfw_fleet_applied_revision, sgfw_fleet_stale_seconds,',
    'sgfw_fleet_connected and repair, reconnect and re-list counters. When etcd is unreachable the last applied state',
    `stays in force; it is kept in --agent-state (default ${DEFAULT_AGENT_STATE_DIR}/agent-NAME.json), which boots a`,
    'restart while etcd is away. SIGHUP compares the state in force with etcd now (a reconcile; also every 30 s).',
    'SIGINT/SIGTERM stop the agent: the state file is written a last time and the status key goes.',
    'etcds:// speaks TLS to etcd, verified with --store-ca (else the system\'s CAs); --store-cert and --store-key add a',
    `client certificate (mutual TLS); --store-user NAME logs in with the password from --store-password-file or ${STORE_PASSWORD_ENV}.`,
    'Each file is read at start: one that cannot serve (missing, empty, not PEM, an expired certificate) is exit 2.',
    '--source ec2[:REGION] (host and inline modes): enforce the interfaces of an EC2 account whose private address is one of',
    'this host\'s own or whose tag sgfw:host-id is --host-id (default: the host name). Read-only: DescribeSecurityGroups,',
    '-NetworkInterfaces, -Vpcs, -ManagedPrefixLists and GetManagedPrefixListEntries, paginated, every --source-interval',
    '(default 30s) plus up to --source-jitter (default 5s); a poll that finds a change puts it in force for the next packet',
    'and logs it. Credentials, region and endpoint as any AWS tool finds them: the default credential chain (AWS_ACCESS_KEY_ID…,',
    'AWS_PROFILE, ~/.aws, SSO, web identity, ECS and instance roles), AWS_REGION unless ec2:REGION is given, and',
    'AWS_ENDPOINT_URL_EC2 (or AWS_ENDPOINT_URL). --source-filter NAME=VALUE[,VALUE…] (repeatable) narrows what is listed: vpc-id,',
    'owner-id, tag-key or tag:KEY, as EC2 filters of the three Describe calls (values of one filter are ORed, filters ANDed).',
    `When EC2 is unreachable or answers errors, the state in force stays; the last good listing is kept in --source-state (default`,
    `${DEFAULT_AGENT_STATE_DIR}/source-ec2-REGION.json), which starts a restart while EC2 is away. /metrics adds sgfw_source_connected,`,
    'sgfw_source_stale_seconds and poll counters; a log line says when it goes stale and when it recovers. Throttling doubles the',
    'wait between polls (up to 8 intervals). SIGHUP polls now.',
    'Exit codes: 0 stopped cleanly; 1 the queue, the rules, the metrics or the API port could not be set up, or etcd or EC2 is',
    'unreachable with no agent or source state file; 2 bad usage, state, credentials, TLS certificate or key, --store-* file, agent or source state file or capture interface.',
  ].join('\n'),
  flags: [
    { name: 'mode', kind: 'string', value: 'MODE', required: true, description: 'host, inline or monitor', check: oneOf(MODES) },
    { name: 'interface', kind: 'string', value: 'IF', description: 'with --mode monitor: the interface to capture on' },
    ...FLOW_LOG_FLAGS,
    { name: 'inside', kind: 'string', value: 'IF', description: 'with --mode inline: the interface towards the managed hosts' },
    { name: 'outside', kind: 'string', value: 'IF', description: 'with --mode inline: the interface towards everything else' },
    { name: 'capture', kind: 'string', value: 'METHOD', description: 'with --mode inline or monitor: afpacket or pcap (default afpacket when its addon is built, else pcap); with --mode inline also nfqueue (the kernel bridges, sgfw judges each IP packet through NFQUEUE)', check: oneOf(INLINE_CAPTURE_METHODS) },
    { ...STATE_FLAG, required: false, description: `${STATE_FLAG.description} (required without --listen, --store or --source)` },
    { name: 'listen', kind: 'string', value: 'HOST:PORT', description: 'also serve the EC2 API here, over --state-dir (port 0 picks one)', check: listenAddress },
    { name: 'state-dir', kind: 'string', value: 'DIR', description: `with --listen: the durable state directory (default ${DEFAULT_STATE_DIR})` },
    ...API_ENDPOINT_FLAGS.map((f) => ({ ...f, description: `with --listen: ${f.description}` })),
    storeFlag('with --mode host or inline: enforce this host\'s interfaces from the etcd state of `sgfw serve --store`'),
    ...STORE_ACCESS_FLAGS,
    { name: 'host-id', kind: 'string', value: 'NAME', description: 'with --store: the HostId whose interfaces this host enforces; with --source: the sgfw:host-id tag value naming this host (default: the host name)', check: hostIdValue },
    { name: 'agent-state', kind: 'string', value: 'FILE', description: `with --store: the last applied state, booted from when etcd is unreachable (default ${DEFAULT_AGENT_STATE_DIR}/agent-NAME.json)` },
    { name: 'store-stale-after', kind: 'string', value: 'SECONDS', description: 'with --store: after this long without a word from etcd (progress is asked for after a third of it) the agent reports itself disconnected and stale and moves to another member (default 5)', check: secondsIn(0.3, 3600) },
    ...SOURCE_FLAGS,
    { name: 'queue', kind: 'string', value: 'N', description: 'NFQUEUE number, 0–65535 (default 0; --capture nfqueue: derived from the interface pair, 1024–64960)', check: integerIn(0, 65535, '0–65535') },
    { name: 'queue-maxlen', kind: 'string', value: 'N', description: `packets the kernel holds per queue for sgfw before it drops new ones (default ${DEFAULT_QUEUE_MAXLEN}; 0: the kernel's, 1024)`, check: integerIn(0, 2 ** 32 - 1, 'a number ≥ 0') },
    {
      ...WORKERS_FLAG,
      description:
        'threads that judge packets, 1-256 (default: the cores available; 1 judges on the main thread). --mode host: one NFQUEUE each (--queue-balance from --queue on); ' +
        '--mode inline and monitor: one AF_PACKET socket per interface each, in a PACKET_FANOUT group per interface (both directions of a flow, and ICMP errors about it, reach one worker); ' +
        'with --capture pcap 1 only (libpcap cannot share an interface among threads), and the default is then 1',
    },
    {
      name: 'realtime-workers',
      kind: 'boolean',
      description:
        `with --workers N > 1: the packet workers run in the real-time class (SCHED_FIFO priority ${REALTIME_PRIORITY}), so a frame is judged at once, ahead of the API and every other program; ` +
        'needs root or CAP_SYS_NICE and the sched addon (refused at start otherwise)',
    },
    { name: 'fail-open', kind: 'boolean', description: 'let traffic pass when sgfw is not reading the queue, or is behind' },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'write one JSON line per packet: frame (its number), verdict, reason, interfaces, rules' },
    { name: 'metrics', kind: 'string', value: 'HOST:PORT', description: 'serve Prometheus metrics at http://HOST:PORT/metrics', check: hostPortOrPort },
    ...LOG_FLAGS,
    { name: 'drop-log-rate', kind: 'string', value: 'N', description: 'dropped packets logged per second at most (default 10; 0: none)', check: integerIn(0, 2 ** 31 - 1, 'a number ≥ 0') },
  ],
  async run(args, { io, config }) {
    const mode = args.string('mode') as (typeof MODES)[number];
    const listenText = args.string('listen');
    const stateDir = args.string('state-dir');
    const stateFiles = args.strings('state');
    const sourceText = args.string('source');
    const source: SourceFlags | null = sourceFlags(sourceText, {
      filters: args.strings('source-filter'), interval: args.string('source-interval'), jitter: args.string('source-jitter'),
      stateFile: args.string('source-state'), hostId: args.string('host-id'),
    });
    if (source) {
      if (mode === 'monitor') throw new UsageError('--source goes with --mode host or inline');
      const clash = [args.string('store') !== undefined && '--store', listenText !== undefined && '--listen', stateDir !== undefined && '--state-dir', stateFiles.length > 0 && '--state', args.string('agent-state') !== undefined && '--agent-state'].filter(Boolean);
      if (clash.length > 0) throw new UsageError(`--source takes the state from EC2: drop ${clash.join(' and ')}`);
    }
    const fleet = source ? null : fleetFlags(storeFlags(args, config?.env ?? process.env), args.string('host-id'), args.string('agent-state'), args.string('store-stale-after'));
    if (fleet) {
      if (mode === 'monitor') throw new UsageError('--store goes with --mode host or inline');
      const clash = [listenText !== undefined && '--listen', stateDir !== undefined && '--state-dir', stateFiles.length > 0 && '--state'].filter(Boolean);
      if (clash.length > 0) throw new UsageError(`--store takes the state from etcd: drop ${clash.join(' and ')} (change rules through \`sgfw serve --store\`)`);
    }
    if (listenText === undefined && stateDir !== undefined) throw new UsageError('--state-dir goes with --listen (the API serves it)');
    const apiOnly = apiEndpointFlagsGiven(args);
    if (listenText === undefined && apiOnly.length > 0) throw new UsageError(`${apiOnly.join(' and ')} ${apiOnly.length > 1 ? 'go' : 'goes'} with --listen (the API's)`);
    const api: ApiFlags | null = listenText === undefined ? null : { listen: apiListenAt(args, listenText), stateDir: stateDir ?? DEFAULT_STATE_DIR };
    if (!api && !fleet && !source && stateFiles.length === 0) {
      throw new UsageError('missing required flag --state FILE (or --listen HOST:PORT to take the state from --state-dir, or --store etcd://… --host-id NAME, or --source ec2[:REGION])');
    }
    const log = loggerFromFlags(args, io);
    if (fleet) warnCertificateExpiry({ store: fleet.store, text: fleet.storeText }, log);
    const dropRate = args.integer('drop-log-rate') ?? 10;
    const metricsText = args.string('metrics');
    const metricsAt: ListenAddress | null = metricsText === undefined ? null : parseListenAddress(metricsText);
    const flowLog = flowLogFlagValues(args);
    const asked = args.string('capture') as InlineCaptureMethod | undefined;
    if (asked !== undefined && mode === 'host') throw new UsageError('--capture goes with --mode inline or monitor (host mode reads NFQUEUE)');
    if (asked === 'nfqueue' && mode !== 'inline') throw new UsageError('--capture nfqueue goes with --mode inline (monitor mode captures: afpacket or pcap)');
    const throughKernel = asked === 'nfqueue';
    const capture = throughKernel ? undefined : (asked as CaptureMethod | undefined);
    const realtimeWorkers = args.boolean('realtime-workers');
    // host mode's, and inline mode's through the kernel bridge
    const queueFlags = (): HostFlags => ({ queueNum: args.integer('queue') ?? 0, maxLen: args.integer('queue-maxlen') ?? DEFAULT_QUEUE_MAXLEN, failOpen: args.boolean('fail-open') });
    const options = (): RunOptions => ({
      stateFiles, api, fleet, source, log, dropRate, metricsAt, verdictsFile: args.string('verdicts'), flowLog, io, realtimeWorkers,
    });
    // the worker threads take the class; one thread judging beside the API and the rest cannot
    const oneThread = (): never => {
      throw new UsageError('--realtime-workers goes with --workers N > 1 (the worker threads take the real-time class; the main thread, which serves the API and the rest, never does)');
    };
    // Inline and monitor modes: every core the process may run on unless told otherwise, each
    // worker's AF_PACKET sockets in a PACKET_FANOUT group; libpcap's capture is one thread's.
    // (Why one thread, when the default fell to 1, is logged once the capture is open.)
    const workersOf = () => captureWorkers(args, capture ?? defaultCaptureMethod(), capture !== undefined);
    if (mode === 'monitor') {
      const device = args.string('interface');
      if (!device) throw new UsageError('--mode monitor needs --interface IF');
      const { workers, oneThreadBecause } = workersOf();
      if (workers > 1) return runMonitorWorkers(options(), { device, capture: 'afpacket' }, workers);
      if (realtimeWorkers) oneThread();
      return runMonitorMode(options(), { device, capture, oneThreadBecause });
    }
    if (mode === 'inline') {
      const inside = args.string('inside');
      const outside = args.string('outside');
      if (!inside || !outside) throw new UsageError('--mode inline needs --inside IF and --outside IF');
      if (inside === outside) throw new UsageError(`--inside and --outside must be two interfaces, got '${inside}' for both`);
      if (throughKernel) {
        // Each instance (interface pair) its own queues by default, apart from host mode's and each other's.
        const queue = { ...queueFlags(), queueNum: args.integer('queue') ?? inlineInstanceNames(inside, outside).queueBase };
        const n = workersFlag(args) ?? availableCores();
        checkQueueRange(queue.queueNum, n);
        return runInlineQueue(options(), { inside, outside }, queue, n);
      }
      const { workers, oneThreadBecause } = workersOf();
      if (workers > 1) return runInlineWorkers(options(), { inside, outside, capture: 'afpacket' }, workers);
      if (realtimeWorkers) oneThread();
      return runInline(options(), { inside, outside, capture, oneThreadBecause });
    }
    const { queueNum, maxLen, failOpen } = queueFlags();
    // As replay: every core the process may run on, unless told otherwise (as many as there are
    // queues from --queue on); one judges on the main thread. An ICMP error about another worker's
    // flow is still related: the workers ask each other (live/related-relay.ts).
    const given = workersFlag(args);
    if (given !== undefined) checkQueueRange(queueNum, given);
    const workers = given ?? Math.min(availableCores(), 65536 - queueNum);
    if (workers > 1) return runHostWorkers(options(), { queueNum, maxLen, failOpen }, workers);
    if (realtimeWorkers) oneThread();
    return runHost(options(), { queueNum, maxLen, failOpen });
  },
};

function hostIdValue(value: string): void {
  if (!HOST_ID_PATTERN.test(value)) {
    throw new UsageError(`--host-id expects 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit, got '${value}'`);
  }
}

/** `--store` (with its access flags, read by storeFlags), `--host-id` and `--agent-state`, checked together; null without --store. */
export function fleetFlags(store: StoreFlags | undefined, hostId: string | undefined, agentState: string | undefined, staleAfter?: string): FleetFlags | null {
  if (store === undefined) {
    if (hostId !== undefined) throw new UsageError('--host-id goes with --store etcd://… (the fleet agent) or --source ec2 (the sgfw:host-id tag)');
    if (agentState !== undefined) throw new UsageError('--agent-state goes with --store etcd://… (the fleet agent)');
    if (staleAfter !== undefined) throw new UsageError('--store-stale-after goes with --store etcd://… (the fleet agent)');
    return null;
  }
  if (hostId === undefined) throw new UsageError('--store needs --host-id NAME: the HostId whose interfaces this host enforces');
  if (!HOST_ID_PATTERN.test(hostId)) {
    throw new UsageError(`--host-id expects 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit, got '${hostId}'`);
  }
  if (agentState === '') throw new UsageError('--agent-state expects a file path, got an empty one');
  return {
    store: store.store, storeText: store.text, hostId, agentStateFile: agentState ?? defaultAgentStateFile(hostId),
    ...(staleAfter !== undefined ? { staleAfterMs: Math.round(Number(staleAfter) * 1000) } : {}),
  };
}

