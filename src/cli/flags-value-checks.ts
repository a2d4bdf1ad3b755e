// The value checks of FlagSpec.check that need nothing but the value (a number in a range, one of
// some words): apart from flags-checks.ts, which also checks addresses and URLs with the servers'
// own parsers, so that the commands using only these (replay, through flags-flow-log.ts) load
// none of the servers.
import type { FlagSpec } from './flags.js';
import { UsageError } from './usage-error.js';

type Check = NonNullable<FlagSpec['check']>;

/** A whole number in [min, max]; `range` is how help words it ('0–65535', 'a number ≥ 0'). */
export function integerIn(min: number, max: number, range: string): Check {
  return (value, flag) => {
    const n = /^-?[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`${flag} expects ${range}, got '${value}'`);
  };
}

/** Seconds (a decimal number such as 5 or 2.5) in [min, max]. */
export function secondsIn(min: number, max: number): Check {
  return (value, flag) => {
    const n = /^[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`${flag} expects seconds from ${min} to ${max}, got '${value}'`);
  };
}

/** A number greater than 0 (`2`, `0.5`). */
export const positiveNumber: Check = (value, flag) => {
  if (!(Number(value) > 0) || value.trim() === '') throw new UsageError(`${flag} expects a positive number, got '${value}'`);
};

/** One of `choices`, as given. */
export function oneOf(choices: readonly string[]): Check {
  const words = choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
  return (value, flag) => {
    if (!choices.includes(value)) throw new UsageError(`${flag} expects ${words}, got '${value}'`);
  };
}
