// The `sgfw` entry point (bin/sgfw.js calls it with process.argv.slice(2)); returns the exit code.

import { processIo, type CliIo } from './cli-io.js';
import { COMMANDS } from './commands.js';
import { runCli } from './run-cli.js';

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  return runCli(argv, io, COMMANDS);
}
