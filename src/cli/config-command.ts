// `sgfw config check [FILE]`: is the config file good, every problem named by line; `sgfw config
// show`: the flags each command takes from the config file and SGFW_* variables, as a file.
import type { Command, CommandContext, ConfigPlace } from './command.js';
import { configFileName, configuredValues, DEFAULT_CONFIG_FILE, problemLines, readConfigFile } from './config-args.js';
import { configurable } from './config-file.js';
import { ExitCode } from './exit-codes.js';
import type { ParsedArgs } from './flags.js';
import { UsageError } from './usage-error.js';

export const configCommand: Command = {
  name: 'config',
  summary: `Check the config file (${DEFAULT_CONFIG_FILE}, or FILE) or show the flags each command takes from it`,
  description: [
    'The config file sets any flag by its long name, one `name = value` a line (or `name value`); `#` starts a',
    'comment; a repeatable flag repeats its line; booleans are true or false; a value may be "quoted". A line',
    'before any [COMMAND] section sets the flag for every command that has it; one in [run] (or [serve], …) only',
    'for that command, over the unsectioned one. SGFW_<FLAG> variables (SGFW_LOG_LEVEL for --log-level; a',
    'repeatable flag\'s list comma-separated) override the file, and flags override both, each replacing what',
    `it sets whole. Commands read ${DEFAULT_CONFIG_FILE} when present; --config FILE (or SGFW_CONFIG) reads`,
    'FILE instead, which must exist; --config none reads none.',
    'check: exit 0 when FILE is good; 2 and one line `FILE:LINE: problem` for each problem.',
  ].join('\n'),
  flags: [{ name: 'for', kind: 'string', value: 'COMMAND', description: 'with show: only this command' }],
  positional: { name: 'check|show [FILE]', description: `FILE: the config file (default ${DEFAULT_CONFIG_FILE}, or SGFW_CONFIG)`, min: 1, max: 2 },
  readsConfig: false,
  readsCommandTable: true,
  async run(args, ctx) {
    const place = ctx.config;
    if (place === undefined) throw new Error('sgfw config runs under runCli, which says where the config file is');
    const [action, fileArg] = args.positionals;
    if (action === 'check') return check(fileArg, place, ctx);
    if (action === 'show') return show(args, fileArg, place, ctx);
    throw new UsageError(`expected check or show, got '${action}'`);
  },
};

function check(fileArg: string | undefined, place: ConfigPlace, { io }: CommandContext): number {
  const where = configFileName(fileArg, place);
  if (where === null) throw new UsageError('SGFW_CONFIG is none: name the file to check');
  const config = readConfigFile(where.file, true, place.commands);
  const lines = problemLines(where.file, config?.problems ?? []);
  if (lines.length > 0) {
    io.stderr.write(`${lines.join('\n')}\n`);
    return ExitCode.usage;
  }
  io.stdout.write(`${where.file}: ok\n`);
  return ExitCode.ok;
}

function show(args: ParsedArgs, fileArg: string | undefined, place: ConfigPlace, { io }: CommandContext): number {
  const only = args.string('for');
  const targets = place.commands.filter((c) => configurable(c) && (only === undefined || c.name === only));
  if (targets.length === 0) throw new UsageError(`--for expects a command that takes flags, got '${only}'`);
  const out: string[] = [];
  for (const command of targets) {
    const values = configuredValues(command, fileArg, place);
    if (values.size === 0) continue;
    out.push(`[${command.name}]`);
    for (const [name, value] of values) {
      for (const v of Array.isArray(value) ? value : [String(value)]) out.push(`${name} = ${/^\s|\s$|\s#|^"|^$/.test(v) ? `"${v}"` : v}`);
    }
  }
  io.stdout.write(out.length === 0 ? '# no flags from a config file or SGFW_* variables\n' : `${out.join('\n')}\n`);
  return ExitCode.ok;
}
