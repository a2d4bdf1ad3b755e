// Dispatch over a command table: picks the subcommand, parses its flags, runs it, and turns user
// errors into one line on stderr and an exit code (never a stack trace; SGFW_DEBUG=1 shows one for
// internal errors). Separate from main.ts so tests can drive it with commands of their own.
// Commands are loaded only when they run (or their help is asked for); the whole table only when a
// config file may be read, since its sections are checked against every command's flags.

import { existsSync } from 'node:fs';
import { TlsFilesError } from '../api/tls-files.js';
import { CaptureError } from '../capture/capture-error.js';
import { MissingAddonError } from '../capture/missing-addon.js';
import { StoreAccessError } from '../fleet/store-access.js';
import { Ec2Error } from '../model/ec2-error.js';
import { StateError } from '../state/state-error.js';
import { oneLine } from './one-line.js';
import type { CliIo } from './cli-io.js';
import type { Command, CommandEntry, ConfigPlace } from './command.js';
import { commandArgs, DEFAULT_CONFIG_FILE, envName } from './config-args.js';
import { ConfigError, configurable } from './config-file.js';
import { ExitCode } from './exit-codes.js';
import { commandHelp, globalHelp } from './help.js';
import { UsageError } from './usage-error.js';
import { packageVersion } from './version.js';

export interface CliOptions {
  /** where SGFW_* variables come from (default process.env) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** the config file read when present (default /etc/sgfw/sgfw.conf) */
  readonly defaultConfigFile?: string;
}

export async function runCli(argv: readonly string[], io: CliIo, commands: readonly CommandEntry[], options: CliOptions = {}): Promise<number> {
  const [first, ...rest] = argv;
  const find = (name: string): CommandEntry | undefined => commands.find((c) => c.name === name);
  if (first === undefined) {
    io.stderr.write(globalHelp(commands));
    return ExitCode.usage;
  }
  if (first === '--help' || first === '-h') {
    io.stdout.write(globalHelp(commands));
    return ExitCode.ok;
  }
  if (first === '--version') {
    io.stdout.write(`sgfw ${packageVersion()}\n`);
    return ExitCode.ok;
  }
  if (first === 'help') {
    const topic = rest[0] === undefined ? undefined : find(rest[0]);
    if (rest[0] !== undefined && topic === undefined) return unknownCommand(rest[0], io);
    io.stdout.write(topic === undefined ? globalHelp(commands) : commandHelp(await loaded(topic)));
    return ExitCode.ok;
  }
  const entry = find(first);
  if (entry === undefined) return unknownCommand(first, io);
  return runCommand(entry, rest, io, commands, options);
}

function loaded(entry: CommandEntry): Promise<Command> {
  return 'load' in entry ? entry.load() : Promise.resolve(entry);
}

/**
 * Could `command` read a config file with `argv` and `env`? Then its sections are checked against
 * every command, which must be loaded. A guess that errs towards yes: --config anywhere, SGFW_CONFIG
 * set (to other than none), or the default file present.
 */
function mayReadConfig(command: Command, argv: readonly string[], env: ConfigPlace['env'], defaultFile: string): boolean {
  if (command.readsCommandTable) return true;
  if (!configurable(command)) return false;
  const named = env[envName('config')];
  return argv.some((a) => a === '--config' || a.startsWith('--config=')) || (named !== undefined && named !== '' && named !== 'none') || existsSync(defaultFile);
}

async function runCommand(entry: CommandEntry, argv: readonly string[], io: CliIo, table: readonly CommandEntry[], options: CliOptions): Promise<number> {
  const prefix = `sgfw ${entry.name}`;
  try {
    const command = await loaded(entry);
    const env = options.env ?? process.env;
    const defaultFile = options.defaultConfigFile ?? DEFAULT_CONFIG_FILE;
    const commands = mayReadConfig(command, argv, env, defaultFile) ? await Promise.all(table.map((e) => (e === entry ? command : loaded(e)))) : [command];
    const config: ConfigPlace = { env, defaultFile, commands };
    const args = commandArgs(command, argv, config);
    if (args.help) {
      io.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    return await command.run(args, { io, config });
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${prefix}: ${oneLine(e.message)}\nRun '${prefix} --help' for usage.\n`);
      return ExitCode.usage;
    }
    // These messages already name the file and the place; print them as they are.
    if (e instanceof StateError || e instanceof CaptureError || e instanceof TlsFilesError || e instanceof ConfigError || e instanceof StoreAccessError) {
      io.stderr.write(`${prefix}: ${oneLine(e.message)}\n`);
      return ExitCode.usage;
    }
    // An addon or optional package this machine lacks: the message names what to install.
    if (e instanceof MissingAddonError) {
      io.stderr.write(`${prefix}: ${e.message}\n`);
      return ExitCode.failed;
    }
    if (e instanceof Ec2Error) {
      io.stderr.write(`${prefix}: ${e.code}: ${oneLine(e.message)}\n`);
      return ExitCode.failed;
    }
    // A file named on the command line that cannot be opened or written (a missing folder, no
    // permission, a full disk) is the user's to fix, not a bug of sgfw's.
    const file = fileSystemError(e);
    if (file !== undefined) {
      io.stderr.write(`${prefix}: ${oneLine(file)}\n`);
      return ExitCode.usage;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`${prefix}: internal error: ${oneLine(err.message)}\n`);
    if (process.env.SGFW_DEBUG) io.stderr.write(`${err.stack ?? ''}\n`);
    return ExitCode.internal;
  }
}

function unknownCommand(name: string, io: CliIo): number {
  io.stderr.write(`sgfw: unknown command '${name}'\nRun 'sgfw --help' for the list of commands.\n`);
  return ExitCode.usage;
}

/** `PATH: cannot open (ENOENT: no such file or directory)` for Node's errors from the file system. */
function fileSystemError(e: unknown): string | undefined {
  const err = e as Partial<NodeJS.ErrnoException> | null;
  if (!(e instanceof Error) || typeof err?.code !== 'string' || typeof err.path !== 'string' || typeof err.syscall !== 'string') return undefined;
  return `${err.path}: cannot ${err.syscall} (${e.message.split(',')[0]})`;
}

