// The command table: every `sgfw` subcommand, in the order `sgfw --help` lists them. To add one,
// write `src/cli/<name>.ts` exporting a Command and add it here (replay, serve, export, explain and
// run belong here as they land).

import type { Command } from './command.js';
import { configCommand } from './config-command.js';
import { credentialsCommand } from './credentials.js';
import { describeCommand } from './describe.js';
import { explainCommand } from './explain.js';
import { exportCommand } from './export.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { stateCommand } from './state.js';
import { statusCommand } from './status.js';
import { versionCommand } from './version.js';

export const COMMANDS: readonly Command[] = [
  describeCommand,
  replayCommand,
  explainCommand,
  exportCommand,
  stateCommand,
  serveCommand,
  runCommand,
  statusCommand,
  credentialsCommand,
  configCommand,
  versionCommand,
];
