// `replay --each`: every capture judged on its own, in one process, as if each were replayed alone:
// a fresh dataplane (empty flow and fragment tables, counters from zero), frames counted from 1,
// the timeline (its frame numbers counted within each capture) applied to a fresh model, and
// outputs of its own, named by a `{name}` placeholder. A bad capture gets its one-line error and
// the others go on; the caller turns the errors into the exit code at the end.
import { basename, extname } from 'node:path';
import { CaptureError } from '../capture/capture-error.js';
import { replay, type ReplayControlPlane, type ReplayOptions, type ReplaySummary } from './replay-run.js';

/** In an output path of `replay --each`: the capture's file name without its extension. */
export const NAME_PLACEHOLDER = '{name}';

/** What `--each` names per capture: the output files of ReplayOptions. */
type OutputKey = 'verdictsFile' | 'flowLogFile' | 'writeAllowedFile';
const OUTPUT_KEYS: readonly OutputKey[] = ['verdictsFile', 'flowLogFile', 'writeAllowedFile'];

/** One capture's outcome: its summary, or why it could not be judged (one line naming the file). */
export interface EachResult {
  capture: string;
  summary?: ReplaySummary;
  error?: string;
}

/** `mary` for `pcaps/mary/mary.pcap`. */
export function captureName(capture: string): string {
  const file = basename(capture);
  const ext = extname(file);
  return ext === '' || ext === file ? file : file.slice(0, -ext.length);
}

/** `template` with every `{name}` replaced by the capture's name. */
export function outputFor(template: string, capture: string): string {
  return template.split(NAME_PLACEHOLDER).join(captureName(capture));
}

/**
 * Why these output templates cannot name each capture's files apart, or undefined: with more
 * than one capture each needs `{name}`, and no two captures may have the same name.
 * `flags` maps each option to the flag that set it, for the message.
 */
export function eachOutputsProblem(captures: readonly string[], options: Pick<ReplayOptions, OutputKey>, flags: Record<OutputKey, string>): string | undefined {
  const given = OUTPUT_KEYS.filter((k) => options[k] !== undefined);
  if (given.length === 0 || captures.length < 2) return undefined;
  for (const k of given) {
    if (!options[k]!.includes(NAME_PLACEHOLDER)) {
      return `${flags[k]} ${options[k]}: with --each every capture writes its own file: put ${NAME_PLACEHOLDER} (the capture's file name without extension) in the path, e.g. out/${NAME_PLACEHOLDER}${extname(options[k]!)}`;
    }
  }
  const seen = new Map<string, string>();
  for (const c of captures) {
    const name = captureName(c);
    const other = seen.get(name);
    if (other !== undefined && other !== c) return `${other} and ${c} both have the name '${name}': their ${NAME_PLACEHOLDER} outputs would be the same files`;
    seen.set(name, c);
  }
  return undefined;
}

/**
 * Replays each capture on its own, telling `onResult` each outcome as it comes. `controlFor` gives
 * the model a capture starts from: called once per capture when a timeline may change the model,
 * once in all otherwise. Errors other than a bad capture or an output file that cannot be
 * written (a bug) stop the run.
 */
export async function replayEach(
  controlFor: () => Promise<ReplayControlPlane>,
  captures: readonly string[],
  options: Omit<ReplayOptions, 'captures'>,
  onResult: (result: EachResult) => void,
): Promise<EachResult[]> {
  const results: EachResult[] = [];
  const changesModel = (options.timeline?.length ?? 0) > 0;
  let shared: ReplayControlPlane | undefined;
  for (const capture of captures) {
    const own: ReplayOptions = { ...options, captures: [capture] };
    for (const k of OUTPUT_KEYS) if (options[k] !== undefined) own[k] = outputFor(options[k]!, capture);
    let result: EachResult;
    try {
      const control = changesModel ? await controlFor() : (shared ??= await controlFor());
      result = { capture, summary: await replay(control, own) };
    } catch (e) {
      const problem = captureProblem(e);
      if (problem === undefined) throw e;
      result = { capture, error: problem };
    }
    results.push(result);
    onResult(result);
  }
  return results;
}

/** The one line for an error a capture's replay may meet; undefined for any other (a bug). */
function captureProblem(e: unknown): string | undefined {
  if (e instanceof CaptureError) return e.message;
  const err = e as Partial<NodeJS.ErrnoException> | null;
  if (e instanceof Error && typeof err?.code === 'string' && typeof err.path === 'string' && typeof err.syscall === 'string') {
    return `${err.path}: cannot ${err.syscall} (${e.message.split(',')[0]})`;
  }
  return undefined;
}
