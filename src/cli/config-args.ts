// A command's flags from its three sources, in rising precedence: the config file, SGFW_<FLAG>
// variables, the command line. A flag set by a higher source replaces what a lower one set, whole
// (a repeatable flag too: `--state` on the command line is the whole list, not one more file).
import { readFileSync } from 'node:fs';
import type { Command, ConfigPlace } from './command.js';
import { ConfigError, configurable, configValues, readConfigText, valueProblem, type ConfigFile, type ConfigProblem } from './config-file.js';
import { checkArgs, parseFlags, scanFlags, type FlagSpec, type FlagValues, type ParsedArgs } from './flags.js';

export const DEFAULT_CONFIG_FILE = '/etc/sgfw/sgfw.conf';

export const CONFIG_FLAG: FlagSpec = {
  name: 'config',
  kind: 'string',
  value: 'FILE',
  description: `read flags from FILE (default ${DEFAULT_CONFIG_FILE} when present; none: no file); SGFW_<FLAG> variables and flags override it`,
};

/** What `sgfw COMMAND --help` lists: --config too for the commands that read the config file. */
export function flagsWithConfig(command: Command): readonly FlagSpec[] {
  return configurable(command) ? [...command.flags, CONFIG_FLAG] : command.flags;
}

/** `log-level` → `SGFW_LOG_LEVEL` */
export function envName(flag: string): string {
  return `SGFW_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** `command`'s flags from `argv` over SGFW_* over the config file; throws UsageError or ConfigError. */
export function commandArgs(command: Command, argv: readonly string[], place: ConfigPlace): ParsedArgs {
  if (!configurable(command)) return parseFlags(argv, command.flags, command.positional);
  const given = scanFlags(argv, [...command.flags, CONFIG_FLAG]);
  if (given.help) return given;
  const args = given.over(configuredValues(command, given.string('config'), place));
  checkArgs(args, command.flags, command.positional);
  return args;
}

/** What `command` takes from the config file (`configFlag`, else SGFW_CONFIG, else the default) and SGFW_* over it. */
export function configuredValues(command: Command, configFlag: string | undefined, place: ConfigPlace): FlagValues {
  const values = new Map(configFileValues(configFlag, command, place));
  for (const [name, value] of envValues(command, place.env)) values.set(name, value);
  return values;
}

/** The file --config (or SGFW_CONFIG, or the default) names; null for none. */
export function configFileName(flag: string | undefined, place: ConfigPlace): { file: string; named: boolean } | null {
  const named = flag ?? place.env[envName('config')];
  if (named === 'none') return null;
  return named === undefined || named === '' ? { file: place.defaultFile, named: false } : { file: named, named: true };
}

/** The file read and checked; null when the default file is absent. A named file must exist. */
export function readConfigFile(file: string, named: boolean, commands: readonly Command[]): ConfigFile | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !named) return null;
    throw new ConfigError(`${file}: cannot read the config file: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return readConfigText(text, commands);
}

/** `FILE:LINE: problem`, one line for each problem. */
export function problemLines(file: string, problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => `${file}:${p.line}: ${p.problem}`);
}

function configFileValues(flag: string | undefined, command: Command, place: ConfigPlace): FlagValues {
  const where = configFileName(flag, place);
  const config = where && readConfigFile(where.file, where.named, place.commands);
  if (!config) return new Map();
  const [first, ...more] = problemLines(where.file, config.problems);
  if (first !== undefined) {
    throw new ConfigError(more.length === 0 ? first : `${first} (and ${more.length} more: run 'sgfw config check ${where.file}')`);
  }
  return configValues(config, command);
}

/** SGFW_<FLAG> for each flag of `command`; a repeatable flag's list is comma-separated, and empty is unset. */
function envValues(command: Command, env: ConfigPlace['env']): FlagValues {
  const values = new Map<string, string[] | boolean>();
  for (const spec of command.flags) {
    const name = envName(spec.name);
    const text = env[name];
    if (text === undefined || text === '') continue;
    const items = spec.repeatable ? text.split(',').map((s) => s.trim()) : [text];
    for (const item of items) {
      const problem = valueProblem(spec, item);
      if (problem !== undefined) throw new ConfigError(`${name}: ${problem}`);
    }
    values.set(spec.name, spec.kind === 'boolean' ? text === 'true' : items);
  }
  return values;
}
