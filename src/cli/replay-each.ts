// `sgfw replay --each`: what it prints and the exit code it ends with. The judging is in
// src/replay/replay-each.ts; replay.ts parses the flags and hands them here.
//
// Text: each capture's summary under its file name (indented as `sgfw replay` prints one), or its
// one-line error on stderr, then a line of totals. --json: one JSON object per line and capture,
// {"capture", …summary} or {"capture", "error"}, written as each capture is done.
// Exit: 2 when any capture could not be judged (all the others were), else 1 when a timeline call
// was refused in any, else 0.
import type { SecurityGroupService } from '../control/service.js';
import { eachOutputsProblem, replayEach, type EachResult } from '../replay/replay-each.js';
import type { ReplayFailure, ReplayOptions, ReplaySummary } from '../replay/replay-run.js';
import type { CliIo } from './cli-io.js';
import { ExitCode } from './exit-codes.js';
import { serviceFromStateFiles } from './state-flag.js';
import { UsageError } from './usage-error.js';
import { oneLine } from './one-line.js';

const OUTPUT_FLAGS = { verdictsFile: '--verdicts', flowLogFile: '--flow-log', writeAllowedFile: '--write-allowed' } as const;

/** What `sgfw replay` prints of one summary (replay.ts's formatSummary: passed in, as replay.ts imports this file). */
type SummaryText = (s: ReplaySummary) => string;

/** `first`: the state files loaded (replay.ts did, so a bad one stopped the run with its own error). */
export async function runReplayEach(
  io: CliIo,
  first: SecurityGroupService,
  stateFiles: readonly string[],
  options: ReplayOptions,
  json: boolean,
  text: SummaryText,
): Promise<number> {
  const problem = eachOutputsProblem(options.captures, options, OUTPUT_FLAGS);
  if (problem !== undefined) throw new UsageError(problem);
  let unused: SecurityGroupService | undefined = first;
  const controlFor = async () => {
    const service = unused ?? (await serviceFromStateFiles(stateFiles));
    unused = undefined;
    return service;
  };
  const { captures, ...each } = options;
  const results = await replayEach(controlFor, captures, each, (r) => report(io, r, json, text));
  const failed = results.filter((r) => r.error !== undefined).length;
  const refused = results.filter((r) => r.summary?.failure !== undefined).length;
  if (!json) {
    io.stdout.write(`captures ${results.length}  judged ${results.length - failed}  failed ${failed}${refused ? `  timeline refused ${refused}` : ''}\n`);
  }
  if (failed > 0) return ExitCode.usage;
  return refused > 0 ? ExitCode.failed : ExitCode.ok;
}

function report(io: CliIo, r: EachResult, json: boolean, text: SummaryText): void {
  if (r.error !== undefined) {
    io.stderr.write(`sgfw replay: ${oneLine(r.error)}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ capture: r.capture, error: r.error })}\n`);
    return;
  }
  const s = r.summary!;
  if (json) {
    io.stdout.write(`${JSON.stringify({ capture: r.capture, ...s })}\n`);
  } else {
    const body = text(s).replace(/^(?=.)/gm, '  ');
    io.stdout.write(`${r.capture}\n${body}`);
  }
  if (s.failure) io.stderr.write(`sgfw replay: ${oneLine(`${r.capture}: ${failureText(s.failure)}`)}\n`);
}

/** A timeline call the model refused, as `sgfw replay` prints it (after the capture's name with --each). */
export function failureText(f: ReplayFailure): string {
  return `${f.where}: ${f.action} before frame ${f.frame} failed: ${f.code}: ${f.message}`;
}
