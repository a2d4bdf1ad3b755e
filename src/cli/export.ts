// `sgfw export`: the state as AWS CLI JSON, one document with SecurityGroups, NetworkInterfaces and
// PrefixLists (with their Entries), which `--state` reads back to the same state (issue 4: "sgfw
// export prints the state … so it round-trips with --state"). It reads a state directory without
// its lock, so it works beside a running `sgfw serve`.
import type { SecurityGroupService } from '../control/service.js';
import { readDurableState } from '../state/durable-store.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { serviceFromStateFiles } from './state-flag.js';
import { UsageError } from './usage-error.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Print the state of a state directory (or state files) as AWS CLI JSON',
  description: [
    'Prints {"SecurityGroups": […], "NetworkInterfaces": […], "PrefixLists": […]} as the AWS CLI',
    'prints describe-* output; give the file to --state to load it again. Rule ids are not part of',
    'the AWS CLI shape: loading the export gives the same groups, rules and addresses, with new rule ids.',
  ].join('\n'),
  flags: [
    { name: 'state-dir', kind: 'string', value: 'DIR', description: 'the state directory of sgfw serve' },
    {
      name: 'state', kind: 'string', value: 'FILE', repeatable: true,
      description: 'AWS CLI JSON state files instead of a directory; files merge',
    },
  ],
  async run(args, { io }) {
    const dir = args.string('state-dir');
    const files = args.strings('state');
    if ((dir === undefined) === (files.length === 0)) throw new UsageError('give either --state-dir DIR or --state FILE');
    const service: SecurityGroupService = dir !== undefined ? await readDurableState(dir) : await serviceFromStateFiles(files);
    // The AWS CLI's JSON output is `json.dump(..., indent=4)`.
    io.stdout.write(`${JSON.stringify(service.exportSnapshot(), null, 4)}\n`);
    return ExitCode.ok;
  },
};
