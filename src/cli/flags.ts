// The flag parser every subcommand shares: `--name value`, `--name=value`, boolean `--name`,
// repeatable flags, positionals, and `--` to end flags. It knows each command's flags so that an
// unknown one is refused in one line, and so help can list them all. Scanning and the
// required/positional checks are two steps so that the config file and SGFW_* variables
// (config-args.ts) can fill in what the command line left out before anything is required.

import { UsageError } from './usage-error.js';

export interface FlagSpec {
  /** long name without dashes: 'state' for --state */
  readonly name: string;
  readonly short?: string;
  readonly kind: 'string' | 'boolean';
  /** placeholder in help, e.g. 'FILE' */
  readonly value?: string;
  readonly repeatable?: boolean;
  readonly required?: boolean;
  readonly description: string;
  /**
   * Throws UsageError naming `flag` ('--queue') when `value` is malformed. The parser, the config
   * file and the SGFW_* variables all run it, so a bad value is refused the same way from each.
   */
  readonly check?: (value: string, flag: string) => void;
}

/** Flag values by long name: the strings given (in order), or a boolean flag's setting. */
export type FlagValues = ReadonlyMap<string, readonly string[] | boolean>;

export interface PositionalSpec {
  /** placeholder in help, e.g. 'CAPTURE' */
  readonly name: string;
  readonly description: string;
  readonly min: number;
  /** Infinity for "any number" */
  readonly max: number;
}

export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' };

export class ParsedArgs {
  constructor(
    /** --help was given: the command's help is printed instead of running it */
    readonly help: boolean,
    private readonly values: FlagValues,
    readonly positionals: readonly string[],
  ) {}

  /** These values over `base`: a flag given here replaces base's values for it whole (repeatable too). */
  over(base: FlagValues): ParsedArgs {
    return new ParsedArgs(this.help, new Map([...base, ...this.values]), this.positionals);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) ? v[v.length - 1] : undefined;
  }

  strings(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? [...v] : [];
  }

  boolean(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** An integer flag's value; a non-integer is a usage error naming the flag. */
  integer(name: string): number | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (!/^-?[0-9]+$/.test(s)) throw new UsageError(`flag --${name} expects an integer, got '${s}'`);
    return Number(s);
  }
}

function flagLabel(f: FlagSpec): string {
  return f.kind === 'string' ? `--${f.name} ${f.value ?? 'VALUE'}` : `--${f.name}`;
}

export function parseFlags(argv: readonly string[], flags: readonly FlagSpec[], positional?: PositionalSpec): ParsedArgs {
  const args = scanFlags(argv, flags);
  if (!args.help) checkArgs(args, flags, positional);
  return args;
}

/** The flags and positionals of `argv`, each value checked; nothing is required yet (checkArgs). */
export function scanFlags(argv: readonly string[], flags: readonly FlagSpec[]): ParsedArgs {
  const all = [...flags, HELP_FLAG];
  const values = new Map<string, string[] | boolean>();
  const positionals: string[] = [];
  let help = false;

  const byLong = (name: string): FlagSpec | undefined => all.find((f) => f.name === name);
  const byShort = (name: string): FlagSpec | undefined => all.find((f) => f.short === name);

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = byLong(name);
    } else {
      spec = arg.length === 2 ? byShort(arg.slice(1)) : undefined;
    }
    if (spec === undefined) throw new UsageError(`unknown flag ${arg.split('=')[0]}`);
    if (spec === HELP_FLAG) {
      help = true;
      continue;
    }
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`flag --${spec.name} takes no value`);
      values.set(spec.name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`flag ${flagLabel(spec)} needs a value`);
      value = next;
      i++;
    }
    spec.check?.(value, `--${spec.name}`);
    const seen = values.get(spec.name);
    if (Array.isArray(seen)) {
      if (!spec.repeatable) throw new UsageError(`flag --${spec.name} may be given only once`);
      seen.push(value);
    } else {
      values.set(spec.name, [value]);
    }
  }

  return new ParsedArgs(help, values, positionals);
}

/** Required flags and the number of positionals; throws UsageError. */
export function checkArgs(args: ParsedArgs, flags: readonly FlagSpec[], positional?: PositionalSpec): void {
  for (const f of flags) {
    if (f.required && !args.has(f.name)) throw new UsageError(`missing required flag ${flagLabel(f)}`);
  }
  const { positionals } = args;
  const min = positional?.min ?? 0;
  const max = positional?.max ?? 0;
  if (positionals.length > max) {
    throw new UsageError(max === 0 ? `unexpected argument '${positionals[0]}'` : `unexpected argument '${positionals[max]}'`);
  }
  if (positionals.length < min) throw new UsageError(`missing ${positional?.name ?? 'argument'}`);
}

/** `--state FILE [--state FILE …] [--json] CAPTURE …` */
export function synopsis(flags: readonly FlagSpec[], positional?: PositionalSpec): string {
  const parts: string[] = [];
  for (const f of flags) {
    const label = flagLabel(f);
    if (f.required) parts.push(f.repeatable ? `${label} [${label} …]` : label);
    else parts.push(f.repeatable ? `[${label} …]` : `[${label}]`);
  }
  if (positional !== undefined && positional.max > 0) {
    const p = positional.max > 1 ? `${positional.name} …` : positional.name;
    parts.push(positional.min > 0 ? p : `[${p}]`);
  }
  return parts.join(' ');
}

export function flagTable(flags: readonly FlagSpec[]): string[] {
  const rows = [...flags, HELP_FLAG].map((f) => {
    const names = f.short === undefined ? flagLabel(f) : `-${f.short}, ${flagLabel(f)}`;
    const notes = [f.required ? 'required' : '', f.repeatable ? 'repeatable' : ''].filter((n) => n !== '');
    return [names, notes.length === 0 ? f.description : `${f.description} (${notes.join(', ')})`] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`);
}
