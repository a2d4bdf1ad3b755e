// Value checks for FlagSpec.check: what a flag's value must look like, written once so that the
// command line, the config file (and `sgfw config check`) and the SGFW_* variables refuse a bad
// value with the same words.
import { parseStoreUrl, StoreUrlError } from '../fleet/store-url.js';
import { parseListenAddress } from '../observe/metrics-server.js';
import { parseListen } from './api-attach.js';
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

/** One of `choices`, as given. */
export function oneOf(choices: readonly string[]): Check {
  const words = choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
  return (value, flag) => {
    if (!choices.includes(value)) throw new UsageError(`${flag} expects ${words}, got '${value}'`);
  };
}

/** HOST:PORT or a bare PORT (127.0.0.1), as the metrics server takes it. */
export const hostPortOrPort: Check = (value, flag) => {
  if (!parseListenAddress(value)) throw new UsageError(`${flag} expects HOST:PORT or PORT, got '${value}'`);
};

/** HOST:PORT (an empty HOST: the API's default), as the EC2 API server takes it. */
export const listenAddress: Check = (value) => {
  parseListen(value);
};

/** etcd://HOST:PORT[,HOST:PORT…][/PREFIX/] */
export const storeUrl: Check = (value) => {
  try {
    parseStoreUrl(value);
  } catch (e) {
    throw e instanceof StoreUrlError ? new UsageError(e.message) : e;
  }
};
