// The values and errors of the fleet's etcd client (etcd-client.ts), apart from it so that code
// which only names them (the store, the agents, the CLI's exit codes) does not load the client:
// the four failures a caller tells apart (unavailable, outcome unknown, refused, compacted), keys,
// key-values, watch events and messages, txn compares, ops and results, TLS and auth settings.
/**
 * etcd could not be reached: no member answered, a stream failed or ended, or the client is closed.
 * A txn that failed so was never sent (EtcdOutcomeUnknown when it may have been).
 */
export class EtcdUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdUnavailable';
  }
}

/** A txn that may have committed (or may commit later): sent, then no answer or an ambiguous one. */
export class EtcdOutcomeUnknown extends EtcdUnavailable {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdOutcomeUnknown';
  }
}

/** etcd refused the request itself (bad argument, too many ops, permission): retrying elsewhere will not help. */
export class EtcdRequestError extends Error {
  constructor(message: string, readonly grpcCode: number) {
    super(message);
    this.name = 'EtcdRequestError';
  }
}

/** A read at a revision etcd has compacted away: list at a newer one. */
export class EtcdCompacted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdCompacted';
  }
}

export type KeyBytes = string | Uint8Array;

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** '' for a delete */
  readonly value: string;
  readonly modRevision: number;
}

export interface Compare {
  readonly key: KeyBytes;
  /** the key's mod_revision must equal this (0: the key must not exist) */
  readonly modRevision: number;
}

export type TxnOp =
  | { readonly put: { readonly key: KeyBytes; readonly value: string; readonly lease?: string } }
  | { readonly delete: { readonly key: KeyBytes } }
  | { readonly range: { readonly key: KeyBytes } };

export interface TxnResult {
  readonly succeeded: boolean;
  readonly revision: number;
  /** the kvs of each range op of the branch that ran, in order */
  readonly ranges: readonly (readonly KeyValue[])[];
}

export interface WatchMessage {
  /** the watcher (as `add` numbered it); -1 for a progress answer to the stream */
  readonly watchId: number;
  /** the reply to a create request: the watcher is in place */
  readonly created: boolean;
  readonly events: readonly WatchEvent[];
  /** set when the start revision was compacted: the watcher is cancelled, resync from a list */
  readonly compactRevision: number;
  readonly canceled: boolean;
  readonly cancelReason: string;
  /** etcd's revision when it sent this (for a progress answer: every event up to it was sent) */
  readonly headerRevision: number;
  /** no events, not a create or cancel reply: a progress notification */
  readonly progress: boolean;
}

export interface EtcdTls {
  /** PEM: the CA that signed the members' certificates */
  readonly ca?: Buffer;
  /** PEM: this client's certificate and key (mutual TLS) */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface EtcdAuth {
  readonly user: string;
  readonly password: string;
}
