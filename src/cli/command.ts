// What a subcommand is: its flags (for parsing and help) and what it does. Each lives in its own
// file and is listed once in commands.ts.

import type { CliIo } from './cli-io.js';
import type { FlagSpec, ParsedArgs, PositionalSpec } from './flags.js';

/** Where the config file and SGFW_* variables come from (config-args.ts reads them). */
export interface ConfigPlace {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** read when present, unless --config or SGFW_CONFIG names another (tests point it elsewhere) */
  readonly defaultFile: string;
  /**
   * every command, to check the file's sections and flags against; runCli loads them all only
   * where a config file may be read (else this is the running command alone)
   */
  readonly commands: readonly Command[];
}

export interface CommandContext {
  readonly io: CliIo;
  /** where the config file and SGFW_* variables come from (sgfw config reads them itself) */
  readonly config?: ConfigPlace;
}

export interface Command {
  readonly name: string;
  /** one line for `sgfw --help` */
  readonly summary: string;
  /** paragraphs for `sgfw <command> --help` */
  readonly description?: string;
  readonly flags: readonly FlagSpec[];
  readonly positional?: PositionalSpec;
  /** false: its flags come from the command line only, not the config file or SGFW_* variables */
  readonly readsConfig?: boolean;
  /** true: it reads every command's flags (ConfigPlace.commands), so runCli loads them all first */
  readonly readsCommandTable?: boolean;
  /** returns the exit code (ExitCode); may throw UsageError, StateError, CaptureError, Ec2Error */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

/**
 * A command as the table lists it: its name and summary (all `sgfw --help` needs) and where its
 * module is, imported only when the command runs, so a command loads what it uses and nothing else
 * (`sgfw --version` and `--help` load no command at all).
 */
export interface LazyCommand {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

/** What runCli dispatches over: commands, loaded (tests pass their own) or not yet. */
export type CommandEntry = Command | LazyCommand;
