// `sgfw credentials create | list | delete KEY | rotate [KEY]`: the access keys of `sgfw serve`,
// kept in the state directory. create and rotate print the new key as `VAR=value` lines (the
// secret's alphabet needs no quoting), which `eval`, `export $(…)`, `set -a; . FILE` and systemd's
// EnvironmentFile all read.

import {
  createCredential,
  CredentialsError,
  deleteCredential,
  listCredentials,
  rotateCredential,
  type Credential,
} from '../api/credentials.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

const SUBCOMMANDS = ['create', 'list', 'delete', 'rotate'] as const;

function printKey(io: CliIo, c: Credential): void {
  io.stdout.write(`AWS_ACCESS_KEY_ID=${c.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`);
}

export const credentialsCommand: Command = {
  name: 'credentials',
  summary: 'Manage the access keys of sgfw serve: create, list, delete KEY, rotate [KEY]',
  description: [
    'sgfw credentials create --state-dir DIR adds a key to DIR/credentials.json (mode 0600) and prints',
    '  AWS_ACCESS_KEY_ID=AKIA…',
    '  AWS_SECRET_ACCESS_KEY=…',
    'lines a shell reads as they are: export $(sgfw credentials create --state-dir DIR), or eval them.',
    'list prints each key id and when it was made (never a secret); delete KEY removes a key; rotate KEY',
    'replaces KEY with a new key in one write and prints the new one (rotate alone: the only key).',
    'A running `sgfw serve` (or `sgfw run --listen`) on DIR sees the change within a second, at once on SIGHUP.',
  ].join('\n'),
  flags: [{ name: 'state-dir', kind: 'string', value: 'DIR', required: true, description: 'the state directory of sgfw serve' }],
  positional: { name: 'create|list|delete KEY|rotate [KEY]', description: 'what to do', min: 1, max: 2 },
  async run(args, { io }) {
    const [sub, key] = args.positionals;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand '${sub}' (expected ${SUBCOMMANDS.join(', ')})`);
    if (sub === 'delete' && key === undefined) throw new UsageError('delete needs the access key id: sgfw credentials delete KEY');
    if ((sub === 'create' || sub === 'list') && key !== undefined) throw new UsageError(`${sub} takes no argument, got '${key}'`);
    const dir = args.string('state-dir') as string;
    try {
      if (sub === 'create') printKey(io, await createCredential(dir));
      else if (sub === 'list') {
        for (const c of await listCredentials(dir)) io.stdout.write(`${c.accessKeyId}\t${c.created || '-'}\n`);
      } else if (sub === 'delete') {
        await deleteCredential(dir, key as string);
        io.stderr.write(`sgfw credentials: deleted ${key}\n`);
      } else {
        const { replaced, credential } = await rotateCredential(dir, key);
        io.stderr.write(`sgfw credentials: replaced ${replaced} with ${credential.accessKeyId}\n`);
        printKey(io, credential);
      }
      return ExitCode.ok;
    } catch (e) {
      if (e instanceof CredentialsError) {
        io.stderr.write(`sgfw credentials: ${e.message}\n`);
        return ExitCode.usage;
      }
      throw e;
    }
  },
};
