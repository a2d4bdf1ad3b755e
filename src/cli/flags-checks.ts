// Value checks for FlagSpec.check: what a flag's value must look like, written once so that the
// command line, the config file (and `sgfw config check`) and the SGFW_* variables refuse a bad
// value with the same words.
import { parseStoreUrl, StoreUrlError } from '../fleet/store-url.js';
import { parseListenAddress } from '../observe/metrics-server.js';
import { parseListen } from './api-attach.js';
import type { FlagSpec } from './flags.js';
import { UsageError } from './usage-error.js';

// The checks that need nothing but the value live apart, so that a command using only them (replay)
// does not load the metrics server, the API server or the etcd client with these.
export { integerIn, oneOf, positiveNumber, secondsIn } from './flags-value-checks.js';

type Check = NonNullable<FlagSpec['check']>;

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
