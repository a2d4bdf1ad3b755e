// The text of `sgfw --help` and `sgfw <command> --help`.

import type { Command } from './command.js';
import { DEFAULT_CONFIG_FILE, flagsWithConfig } from './config-args.js';
import { flagTable, synopsis } from './flags.js';

/** The command list: names and summaries only, so no command is loaded to print it. */
export function globalHelp(commands: readonly { readonly name: string; readonly summary: string }[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'sgfw: AWS EC2/VPC security groups, enforced in userspace on Linux hosts and replayed on captures',
    '',
    'Usage: sgfw <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'sgfw <command> --help' for the flags of a command.",
    `Flags can also be set in ${DEFAULT_CONFIG_FILE} (or --config FILE) and SGFW_<FLAG> variables: see 'sgfw config --help'.`,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: sgfw ${command.name} ${synopsis(command.flags, command.positional)}`.trimEnd(), '', command.summary];
  if (command.description !== undefined) lines.push('', command.description);
  if (command.positional !== undefined && command.positional.max > 0) {
    lines.push('', 'Arguments:', `  ${command.positional.name}  ${command.positional.description}`);
  }
  lines.push('', 'Flags:', ...flagTable(flagsWithConfig(command)), '');
  return lines.join('\n');
}
