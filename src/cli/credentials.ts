// `sgfw credentials create`: a new access key for `sgfw serve`, printed as two `export`-ready lines.

import { createCredential, CredentialsError } from '../api/credentials.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

export const credentialsCommand: Command = {
  name: 'credentials',
  summary: 'Create an access key for sgfw serve (prints AWS_ACCESS_KEY_ID= and AWS_SECRET_ACCESS_KEY=)',
  description: [
    'sgfw credentials create --state-dir DIR adds a key to DIR/credentials.json (mode 0600) and prints',
    '  AWS_ACCESS_KEY_ID=AKIA…',
    '  AWS_SECRET_ACCESS_KEY=…',
    'ready for `export`. A running `sgfw serve` on DIR accepts the key at once.',
  ].join('\n'),
  flags: [{ name: 'state-dir', kind: 'string', value: 'DIR', required: true, description: 'the state directory of sgfw serve' }],
  positional: { name: 'create', description: 'the only subcommand: create', min: 1, max: 1 },
  async run(args, { io }) {
    if (args.positionals[0] !== 'create') throw new UsageError(`unknown subcommand '${args.positionals[0]}' (expected 'create')`);
    try {
      const c = await createCredential(args.string('state-dir') as string);
      io.stdout.write(`AWS_ACCESS_KEY_ID=${c.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`);
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
