// Describe filters as EC2 applies them: an item passes when, for every filter, at least one of its
// values matches; values may use `*` (any run of characters) and `?` (one character), `\` escapes.
import type { Filter } from '../model/types.js';
import { Ec2Errors } from '../model/errors.js';
import { ID_CHECKS, type IdPrefix } from '../model/ids.js';

export function wildcardRegExp(value: string): RegExp {
  let src = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) src += escapeRe(value[++i]!);
    else if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += escapeRe(c);
  }
  return new RegExp(`^${src}$`, 's');
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Field values of one item for one filter name; undefined when the name is not a known filter. */
export type FilterFields<T> = (item: T, name: string) => readonly string[] | undefined;

export interface CompiledFilter {
  readonly name: string;
  /** the values as given, for checks on what they name (checkFilterIds) */
  readonly values: readonly string[];
  readonly patterns: readonly RegExp[];
}

export function compileFilters(filters: unknown): CompiledFilter[] {
  if (filters === undefined) return [];
  if (!Array.isArray(filters)) throw Ec2Errors.invalidParameterValue('Filters must be a list');
  return filters.map((f: Filter) => {
    if (f === null || typeof f !== 'object' || typeof f.Name !== 'string') throw Ec2Errors.missingParameter('Filter.Name');
    const values = (Array.isArray(f.Values) ? f.Values : []).map(String);
    return { name: f.Name, values, patterns: values.map(wildcardRegExp) };
  });
}

/** Checks every filter name against `fields` once, so an unknown filter fails even with no items. */
export function checkFilterNames<T>(filters: readonly CompiledFilter[], known: (name: string) => boolean): void {
  for (const f of filters) if (!known(f.name)) throw Ec2Errors.invalidFilter(f.name);
}

/**
 * The filters whose values are ids of one kind (`group-id` → `sg`): a malformed value is refused
 * with EC2's code for that kind (InvalidGroupId.Malformed, …) rather than matching nothing, as EC2
 * does. A value holding a wildcard (`sg-*`) is a pattern, not an id, and is left alone.
 */
export function checkFilterIds(filters: readonly CompiledFilter[], idKinds: Readonly<Record<string, IdPrefix>>): void {
  for (const f of filters) {
    const kind = Object.hasOwn(idKinds, f.name) ? idKinds[f.name] : undefined;
    if (kind === undefined) continue;
    for (const v of f.values) if (!/[*?]/.test(v)) ID_CHECKS[kind](v);
  }
}

/**
 * The values of filter `name` when every one is a plain value (no `*`, `?` or `\\`), as a set: an
 * item whose `name` field is none of them cannot pass (callers skip such items before reading them).
 * Undefined when there is no such filter or a value is a pattern. With two filters of one name
 * (each must pass) the first is enough to narrow by.
 */
export function literalValues(filters: readonly CompiledFilter[], name: string): ReadonlySet<string> | undefined {
  const f = filters.find((x) => x.name === name);
  if (f === undefined || f.values.some((v) => /[*?\\]/.test(v))) return undefined;
  return new Set(f.values);
}

export function matchesFilters<T>(item: T, filters: readonly CompiledFilter[], fields: FilterFields<T>): boolean {
  for (const f of filters) {
    const values = fields(item, f.name) ?? [];
    if (!values.some((v) => f.patterns.some((p) => p.test(v)))) return false;
  }
  return true;
}
