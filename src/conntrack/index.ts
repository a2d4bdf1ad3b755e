export {
  ConntrackTable,
  CT_ESTABLISHED,
  CT_MISS,
  CT_RELATED,
  type ConntrackOptions,
} from './conntrack-table.js';
export { MAX_INTERFACE_INDEX } from './entry-timeouts.js';
export type { ConntrackEntryInfo } from './entry-info.js';
export { ReferenceConntrack } from './reference-conntrack.js';
export { TcpState, TCP_STATE_NAMES } from './tcp-state.js';
export * from './timeouts.js';
export { FragmentTable, FRAGMENT_ALLOWED, FRAGMENT_DROPPED, FRAGMENT_NONE, FRAGMENT_UNKNOWN, FRAGMENT_TIMEOUT_MS } from './fragment-table.js';
export { recordMemory, type RecordAllocator, type RecordMemory, type RecordMemoryKind } from './record-memory.js';
export { echoRequestType, icmpKind, IcmpKind, icmpRequestType, isIcmpError, isIcmpProtocol, isNeighbourDiscoveryType } from './icmp-kinds.js';
