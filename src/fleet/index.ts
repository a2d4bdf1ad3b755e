export { EtcdCompacted, EtcdGateway, EtcdRequestError, EtcdUnavailable, type KeyValue, type WatchEvent } from './etcd-gateway.js';
export { EtcdStore, EtcdStoreError, openEtcdStore, type EtcdStoreOptions, type EtcdStoreStats } from './etcd-store.js';
export { DEFAULT_PREFIX, KeyLayout, LAYOUT_FORMAT, prefixRangeEnd } from './key-layout.js';
export { canonicalJson, decodeState, diffStates, stateKeys, StoreDamage, type MemberValue } from './state-codec.js';
export { parseStoreUrl, StoreUrlError, type StoreUrl } from './store-url.js';
export { FleetAgent, FleetAgentError, type AppliedListener, type FleetAgentOptions, type FleetAgentStats } from './agent.js';
export { FleetView, MEMBER_LIST_PREFIX, type ViewChange } from './agent-view.js';
export { fleetMetricFamilies } from './agent-metrics.js';
export { AgentStateFileError, readAgentState, writeAgentState } from './agent-state-file.js';
