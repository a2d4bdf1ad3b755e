// `--timeline FILE`: JSON Lines, one control-plane call per line, applied just before a frame:
//   {"beforeFrame": 12, "Action": "RevokeSecurityGroupIngress", "Parameters": {…}}
// Parameters take the shape `aws ec2 <action> --cli-input-json` takes. Frames count from 1, as
// Wireshark counts them (across all captures of one replay, in the order given).
import { readFileSync } from 'node:fs';
import { SERVICE_ACTIONS } from '../control/action-table.js';
import { StateError } from '../state/state-error.js';

const KNOWN_ACTIONS: ReadonlySet<string> = new Set(SERVICE_ACTIONS);

export interface TimelineEntry {
  readonly beforeFrame: number;
  readonly action: string;
  readonly parameters: Record<string, unknown>;
  /** line in the timeline file, for messages */
  readonly line: number;
}

export function readTimeline(file: string): TimelineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StateError(file, '', `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseTimeline(file, text);
}

export function parseTimeline(file: string, text: string): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new StateError(file, '', `invalid JSON: ${(e as Error).message}`, { line, column: 1 });
    }
    const fail = (path: string, problem: string): never => {
      throw new StateError(`${file}:${line}`, path, problem);
    };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('', 'expected an object');
    const o = value as Record<string, unknown>;
    const beforeFrame = o.beforeFrame;
    if (typeof beforeFrame !== 'number' || !Number.isInteger(beforeFrame) || beforeFrame < 1) {
      fail('beforeFrame', `expected a frame number from 1, got ${JSON.stringify(beforeFrame)}`);
    }
    if (typeof o.Action !== 'string' || o.Action === '') fail('Action', `expected an EC2 action name, got ${JSON.stringify(o.Action)}`);
    // Known when the file is read, not when (or whether) its frame comes: a misspelt action is a
    // bad timeline (exit 2), not a call the model refused (exit 1) half-way through the capture.
    if (!KNOWN_ACTIONS.has(o.Action as string)) fail('Action', `${JSON.stringify(o.Action)} is not an EC2 action sgfw carries out (InvalidAction; the actions are those of the README's "The EC2 Query API")`);
    const parameters = o.Parameters ?? {};
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      fail('Parameters', 'expected an object');
    }
    // A timeline exists to change the model between frames: a DryRun entry would change nothing in
    // EC2, so applying it would be wrong and skipping it silently would hide a mistake.
    if (Object.hasOwn(parameters as object, 'DryRun')) fail('Parameters.DryRun', 'a timeline entry is always applied; remove DryRun');
    entries.push({
      beforeFrame: beforeFrame as number,
      action: o.Action as string,
      parameters: parameters as Record<string, unknown>,
      line,
    });
  }
  // Calls for the same frame apply in file order.
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.beforeFrame - b.e.beforeFrame || a.i - b.i).map((x) => x.e);
}
