export { StateError, type StateErrorDetail } from './state-error.js';
export {
  importStateFiles,
  loadStateFiles,
  locateInFiles,
  mergeStateFiles,
  parseStateText,
  readStateFile,
  type MergedState,
  type StateFile,
  type StateImporter,
} from './state-files.js';
export {
  STATE_KEYS,
  readStateDocument,
  type StateDocument,
  type StateKey,
  type StateNetworkInterface,
  type StatePrefixList,
  type StateSecurityGroup,
} from './state-document.js';
