// The sgfw config file: any flag by its long name, one `name = value` (or `name value`) a line,
// `#` comments, repeatable flags repeated, booleans `true`/`false`, and `[COMMAND]` sections. A line
// outside any section sets the flag for every command that has it; a line in `[run]` only for
// `sgfw run`, over an unsectioned one. Checked whole, against every command, each time it is read,
// so a typo in another command's section is found now rather than on the day that command runs.
import type { Command } from './command.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { UsageError } from './usage-error.js';

/** A config file or SGFW_* variable that cannot be used: `FILE:LINE: problem`, exit 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigProblem {
  readonly line: number;
  readonly problem: string;
}

interface ConfigEntry {
  readonly line: number;
  /** the command section it sits in; null before any section */
  readonly section: string | null;
  readonly name: string;
  readonly value: string;
}

export interface ConfigFile {
  readonly entries: readonly ConfigEntry[];
  readonly problems: readonly ConfigProblem[];
}

/** The commands a config file may configure: those with flags that read it. */
export function configurable(command: Command): boolean {
  return command.flags.length > 0 && command.readsConfig !== false;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The lines of `text`, checked against `commands`; every problem, each naming its line. */
export function readConfigText(text: string, commands: readonly Command[]): ConfigFile {
  const targets = commands.filter(configurable);
  const entries: ConfigEntry[] = [];
  const problems: ConfigProblem[] = [];
  /** where a flag was first set in this scope (section or none), to refuse a second setting */
  const firstSet = new Map<string, number>();
  let section: string | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const fail = (problem: string): void => void problems.push({ line, problem });
    const parsed = splitLine(raw);
    if (parsed === null) return;
    if (typeof parsed === 'string') return fail(parsed);
    if (parsed.section !== undefined) {
      section = parsed.section;
      if (!targets.some((c) => c.name === section)) fail(`unknown section [${section}]: sections are named for commands: ${targets.map((c) => c.name).join(', ')}`);
      return;
    }
    const { name, value } = parsed;
    const owners = section === null ? targets : targets.filter((c) => c.name === section);
    if (owners.length === 0) return; // in an unknown section, already reported
    const specs = owners.flatMap((c) => c.flags.filter((f) => f.name === name));
    if (specs.length === 0) return fail(unknownFlag(name, section, targets));
    const problem = specs.map((f) => valueProblem(f, value)).find((p) => p !== undefined);
    if (problem !== undefined) return fail(problem);
    const scoped = `${section ?? ''}\0${name}`;
    const first = firstSet.get(scoped);
    if (first !== undefined && !specs.every((f) => f.repeatable)) return fail(`--${name} is already set on line ${first} (only repeatable flags may repeat)`);
    if (first === undefined) firstSet.set(scoped, line);
    entries.push({ line, section, name, value });
  });
  return { entries, problems };
}

/** The values `command` takes from a checked file: its section's lines over the unsectioned ones. */
export function configValues(file: ConfigFile, command: Command): FlagValues {
  const values = new Map<string, string[] | boolean>();
  for (const scope of [null, command.name]) {
    const replaced = new Set<string>();
    for (const e of file.entries) {
      const spec = command.flags.find((f) => f.name === e.name);
      if (e.section !== scope || spec === undefined) continue;
      if (spec.kind === 'boolean') {
        values.set(e.name, e.value === 'true');
        continue;
      }
      const seen = values.get(e.name);
      if (!replaced.has(e.name) || !Array.isArray(seen)) values.set(e.name, [e.value]);
      else seen.push(e.value);
      replaced.add(e.name);
    }
  }
  return values;
}

/** What is wrong with `value` for `spec`, as the command line would say it; undefined when nothing. */
export function valueProblem(spec: FlagSpec, value: string): string | undefined {
  if (spec.kind === 'boolean') return value === 'true' || value === 'false' ? undefined : `--${spec.name} expects true or false, got '${value}'`;
  if (value === '') return `--${spec.name} needs a value`;
  try {
    spec.check?.(value, `--${spec.name}`);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  return undefined;
}

function unknownFlag(name: string, section: string | null, targets: readonly Command[]): string {
  const owners = targets.filter((c) => c.flags.some((f) => f.name === name)).map((c) => `[${c.name}]`);
  if (section === null) return `unknown flag '${name}'`;
  const elsewhere = owners.length === 0 ? '' : ` (${owners.join(', ')} ${owners.length > 1 ? 'have' : 'has'} it)`;
  return `sgfw ${section} has no flag --${name}${elsewhere}`;
}

type Line = { readonly section: string; readonly name?: undefined; readonly value?: undefined } | { readonly section?: undefined; readonly name: string; readonly value: string };

/** One line: null when blank or a comment, a problem as a string, or what it sets. */
function splitLine(raw: string): Line | string | null {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return null;
  const section = /^\[\s*([^\]]*?)\s*\]\s*(#.*)?$/.exec(text);
  if (section) return { section: section[1] };
  if (text.startsWith('[')) return `a section is [COMMAND], got '${text}'`;
  const m = /^([^\s=]+)\s*(?:=\s*|\s+|$)(.*)$/.exec(text);
  if (m === null) return `expected 'name = value', got '${text}'`;
  const [, name, rest] = m;
  if (name.startsWith('-')) return `write flags without dashes: '${name.replace(/^-+/, '')} = …'`;
  if (!NAME.test(name)) return `'${name}' is not a flag name`;
  const value = unquote(rest);
  if (value === null) return `--${name}: a quoted value needs its closing '"'`;
  if (value === undefined) return `--${name} needs a value: '${name} = VALUE'`;
  return { name, value };
}

/** `"a # b"` → `a # b`; `x  # note` → `x`; undefined when there is no value, null when a quote is open. */
function unquote(rest: string): string | null | undefined {
  if (rest.startsWith('"')) {
    const close = rest.indexOf('"', 1);
    if (close < 0) return null;
    const after = rest.slice(close + 1).trim();
    return after === '' || after.startsWith('#') ? rest.slice(1, close) : null;
  }
  const value = rest.replace(/(^|\s)#.*$/, '').trim();
  return value === '' ? undefined : value;
}
