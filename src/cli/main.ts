// The `sgfw` entry point (bin/sgfw.js calls it with process.argv.slice(2)); returns the exit code.

import { processIo, type CliIo } from './cli-io.js';
import { COMMANDS } from './commands.js';
import { runCli } from './run-cli.js';

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  quietIpServernameWarning();
  return runCli(argv, io, COMMANDS);
}

/**
 * grpc-js (etcd over TLS, `--store etcds://`) gives every TLS connection its host as the SNI server
 * name, an IP address for most etcd endpoints, and Node answers the first with a DeprecationWarning
 * (DEP0123) on stderr: a line that is neither sgfw's nor JSON, for nothing the operator can change.
 * Node ignores an IP server name (no SNI is sent) and still verifies the certificate against the
 * address, so that one warning is dropped; every other goes through.
 */
function quietIpServernameWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((...args: unknown[]) => {
    const [, typeOrOptions, code] = args;
    const given = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { code?: unknown }).code : code;
    if (given === 'DEP0123') return;
    emit(...args);
  }) as typeof process.emitWarning;
}
