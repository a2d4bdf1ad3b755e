// `sgfw version`: the package version, read from package.json (two levels up from both
// src/cli/ under vitest and dist/cli/ when built).

import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the sgfw version',
  flags: [],
  async run(_args, { io }) {
    io.stdout.write(`sgfw ${packageVersion()}\n`);
    return ExitCode.ok;
  },
};
