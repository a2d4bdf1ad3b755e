export { EtcdCompacted, EtcdGateway, EtcdRequestError, EtcdUnavailable, type KeyValue, type WatchEvent } from './etcd-gateway.js';
export { EtcdStore, EtcdStoreError, openEtcdStore, type EtcdStoreOptions, type EtcdStoreStats } from './etcd-store.js';
export { DEFAULT_PREFIX, KeyLayout, LAYOUT_FORMAT, prefixRangeEnd } from './key-layout.js';
export { canonicalJson, decodeState, diffStates, stateKeys, StoreDamage, type MemberValue } from './state-codec.js';
export { parseStoreUrl, StoreUrlError, type StoreUrl } from './store-url.js';
