// The command table: every `sgfw` subcommand, in the order `sgfw --help` lists them. To add one,
// write `src/cli/<name>.ts` exporting a Command and add it here: its name and summary (the same
// as the Command's; test/cli/commands.test.ts checks) and a dynamic import of its module. Only
// the command that runs is loaded (with the bundle, its chunk): `sgfw replay` never reads the
// API server, etcd client or live loops, and `sgfw --version` loads none of them.

import type { LazyCommand } from './command.js';
import { DEFAULT_CONFIG_FILE } from './config-args.js';

export const COMMANDS: readonly LazyCommand[] = [
  {
    name: 'describe',
    summary: 'Print the security groups of state files (ec2-describe-group text, or JSON)',
    load: async () => (await import('./describe.js')).describeCommand,
  },
  {
    name: 'replay',
    summary: 'Judge every frame of pcap/pcapng captures against the security groups',
    load: async () => (await import('./replay.js')).replayCommand,
  },
  {
    name: 'explain',
    summary: 'Tell which interface, direction, group and rule allow or would drop a packet',
    load: async () => (await import('./explain.js')).explainCommand,
  },
  {
    name: 'export',
    summary: 'Print the state of a state directory (or state files) as AWS CLI JSON',
    load: async () => (await import('./export.js')).exportCommand,
  },
  {
    name: 'state',
    summary: 'Verify a state directory, or recover a damaged one to what can be proven',
    load: async () => (await import('./state.js')).stateCommand,
  },
  {
    name: 'serve',
    summary: 'Serve the EC2 Query API (aws CLI, SDKs, Ansible) over the durable state in --state-dir',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'run',
    summary: 'Enforce the security groups on live traffic (host: this host, through NFQUEUE; inline: between two interfaces; monitor: judge only)',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'status',
    summary: 'Ask a running sgfw (run or serve with --metrics) what it is doing; exit 0 running, 252 not running',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'credentials',
    summary: 'Manage the access keys of sgfw serve: create, list, delete KEY, rotate [KEY]',
    load: async () => (await import('./credentials.js')).credentialsCommand,
  },
  {
    name: 'config',
    summary: `Check the config file (${DEFAULT_CONFIG_FILE}, or FILE) or show the flags each command takes from it`,
    load: async () => (await import('./config-command.js')).configCommand,
  },
  {
    name: 'version',
    summary: 'Print the sgfw version',
    load: async () => (await import('./version.js')).versionCommand,
  },
];
