export * from './packet-view.js';
export * from './malformed.js';
export * from './link-types.js';
export { decodeFrame } from './decode.js';
export { FragmentTable, FRAGMENT_ALLOWED, FRAGMENT_DROPPED, FRAGMENT_NONE, FRAGMENT_UNKNOWN, FRAGMENT_TIMEOUT_MS } from './fragment-table.js';
