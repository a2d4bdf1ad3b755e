export * from './packet-view.js';
export * from './malformed.js';
export * from './link-types.js';
export { decodeFrame } from './decode.js';
