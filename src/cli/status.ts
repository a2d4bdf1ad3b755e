// `sgfw status`: asks a running sgfw (`run --metrics`, `serve --metrics`) for GET /status on its
// metrics listener and prints it. Exit codes as firewall-cmd --state: 0 running, 252 nothing
// listens there, 1 the address cannot be reached (so whether sgfw runs is unknown) or something
// answered but not as sgfw does (or too slowly).
import { get } from 'node:http';
import { parseListenAddress, type ListenAddress } from '../observe/metrics-server.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

const TIMEOUT_MS = 5000;

type Answer = { kind: 'status'; body: Record<string, unknown> } | { kind: 'down'; why: string } | { kind: 'error'; why: string };

function askStatus(at: ListenAddress): Promise<Answer> {
  return new Promise((resolve) => {
    const req = get({ host: at.host, port: at.port, path: '/status', timeout: TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve({ kind: 'error', why: `GET /status answered HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}` });
        try {
          const body = JSON.parse(text) as unknown;
          if (body === null || typeof body !== 'object' || (body as { status?: unknown }).status !== 'running') throw new Error('not an sgfw status');
          resolve({ kind: 'status', body: body as Record<string, unknown> });
        } catch (e) {
          resolve({ kind: 'error', why: `GET /status: ${(e as Error).message}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // Refused: nothing listens, so sgfw is not running there.
      resolve(e.code === 'ECONNREFUSED' ? { kind: 'down', why: 'nothing listens there' } : { kind: 'error', why: e.message });
    });
  });
}

/** The status object as `key: value` lines, in the order an operator reads them. */
export function formatStatus(s: Record<string, unknown>): string {
  const lines = ['running'];
  const add = (label: string, v: unknown): void => {
    if (v !== undefined) lines.push(`${label}: ${v}`);
  };
  add('mode', s.mode);
  add('pid', s.pid);
  add('uptime', typeof s.uptimeSeconds === 'number' ? `${s.uptimeSeconds} s` : undefined);
  add('interfaces', Array.isArray(s.interfaces) ? (s.interfaces.length ? s.interfaces.join(' ') : '(none)') : undefined);
  add('model version', s.modelVersion);
  const ct = s.conntrack as { entries?: number; capacity?: number } | undefined;
  add('conntrack', ct ? `${ct.entries} of ${ct.capacity} entries` : undefined);
  add('allowed', s.allowed);
  add('dropped', s.dropped);
  const drops = s.dropsByReason as Record<string, number> | undefined;
  if (drops && Object.keys(drops).length) add('drops', Object.entries(drops).map(([r, n]) => `${r} ${n}`).join(', '));
  add('api', s.api);
  add('source', s.source);
  const fleet = s.fleet as { hostId?: string; revision?: number; connected?: boolean; staleSeconds?: number } | undefined;
  if (fleet) {
    add('fleet', `host ${fleet.hostId} at revision ${fleet.revision}, ${fleet.connected ? 'connected' : 'etcd unreachable'}, stale ${fleet.staleSeconds} s`);
  }
  const ec2 = s.ec2 as { region?: string; endpoint?: string; hostId?: string; connected?: boolean; staleSeconds?: number; currentAt?: string; error?: string } | undefined;
  if (ec2) {
    const state = ec2.connected ? `current as of ${ec2.currentAt}` : `polls failing (${ec2.error ?? 'unknown error'}), stale ${ec2.staleSeconds} s, current as of ${ec2.currentAt}`;
    add('ec2', `${ec2.region} at ${ec2.endpoint} as host ${ec2.hostId}, ${state}`);
  }
  return `${lines.join('\n')}\n`;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Ask a running sgfw (run or serve with --metrics) what it is doing; exit 0 running, 252 not running',
  description: [
    'Reads GET /status on the metrics listener of `sgfw run --metrics HOST:PORT` (every mode) or',
    '`sgfw serve --metrics HOST:PORT` and prints the mode, the managed interfaces, the model version, conntrack',
    'use, drops by reason and, for a fleet agent, the etcd revision in force and how stale it is; following an',
    'EC2 account (--source ec2), the region and endpoint, whether polls succeed, and how stale the state in force is.',
    'Exit codes (as firewall-cmd --state): 0 running; 252 not running (nothing listens there);',
    '1 the address could not be reached (no route, no such host), or something answered, but not with an',
    'sgfw status, or not within 5 s; 2 bad usage.',
  ].join('\n'),
  flags: [
    {
      name: 'metrics', kind: 'string', value: 'HOST:PORT', required: true, description: 'the --metrics address of the running sgfw (a bare PORT: 127.0.0.1)',
      check: (value, flag) => {
        if (parseListenAddress(value) === null) throw new UsageError(`${flag} expects HOST:PORT or PORT, got '${value}'`);
      },
    },
    { name: 'json', kind: 'boolean', description: 'print the status object as JSON' },
  ],
  async run(args, { io }) {
    const text = args.string('metrics') as string;
    const at = parseListenAddress(text);
    if (at === null) throw new UsageError(`--metrics expects HOST:PORT or PORT, got '${text}'`);
    const answer = await askStatus(at);
    if (answer.kind === 'down') {
      io.stdout.write('not running\n');
      io.stderr.write(`sgfw status: ${at.host}:${at.port}: ${answer.why}\n`);
      return ExitCode.notRunning;
    }
    if (answer.kind === 'error') {
      io.stderr.write(`sgfw status: ${at.host}:${at.port}: ${answer.why}\n`);
      return ExitCode.failed;
    }
    io.stdout.write(args.boolean('json') ? `${JSON.stringify(answer.body, null, 2)}\n` : formatStatus(answer.body));
    return ExitCode.ok;
  },
};
