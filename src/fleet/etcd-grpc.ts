// etcd's gRPC messages and failures as the fleet's etcd client reads and writes them (shared by
// etcd-client.ts and its two streams, etcd-watch-stream.ts and etcd-lease-keepalive.ts): key
// bytes, revisions (int64 as decimal strings), key-values, gRPC status codes (etcd3 rewraps them
// into classes of its own) and the reason a failure gives, and the part of a duplex stream used.
import type { KeyBytes, KeyValue } from './etcd-types.js';

/** gRPC status codes */
export const GRPC = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, OUT_OF_RANGE: 11, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

interface GrpcLikeError {
  code?: number;
  details?: string;
  message?: string;
}

export const buf = (k: KeyBytes): Buffer => (typeof k === 'string' ? Buffer.from(k, 'utf8') : Buffer.from(k));
export const num = (v: unknown): number => (v === undefined || v === null || v === '' ? 0 : Number(v));
const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : '');

/** A failure's gRPC status code, undefined when it has none (not a gRPC failure). */
export function grpcCode(e: unknown): number | undefined {
  const err = e as GrpcLikeError;
  if (typeof err.code === 'number') return err.code;
  // etcd3 rewraps grpc errors into its own classes (keeping the message, dropping the code)
  const name = (e as Error).constructor?.name ?? '';
  const byName: Record<string, number> = {
    GRPCUnavailableError: GRPC.UNAVAILABLE, GRPCDeadlineExceededError: GRPC.DEADLINE_EXCEEDED, GRPCCancelledError: GRPC.CANCELLED,
    GRPCUnknownError: GRPC.UNKNOWN, GRPCInternalError: GRPC.INTERNAL, GRPCInvalidArgumentError: GRPC.INVALID_ARGUMENT, GRPCOutOfRangeError: GRPC.OUT_OF_RANGE,
    GRPCResourceExhastedError: GRPC.RESOURCE_EXHAUSTED, GRPCFailedPreconditionError: GRPC.FAILED_PRECONDITION, GRPCNotFoundError: GRPC.NOT_FOUND,
    EtcdPermissionDeniedError: GRPC.PERMISSION_DENIED, GRPCUnauthenticatedError: GRPC.UNAUTHENTICATED, EtcdAuthenticationFailedError: GRPC.INVALID_ARGUMENT,
    EtcdInvalidAuthTokenError: GRPC.UNAUTHENTICATED, EtcdLeaseInvalidError: GRPC.NOT_FOUND,
  };
  return byName[name];
}

/** A failure's reason on one line: gRPC's details, else its message. */
export function reasonOf(e: unknown): string {
  const err = e as GrpcLikeError;
  return (err.details ?? err.message ?? String(e)).replace(/\s+/g, ' ').trim();
}

/** etcd's mvccpb.KeyValue as the fleet reads it. */
export function keyValue(kv: { key?: Buffer; value?: Buffer; create_revision?: string; mod_revision?: string }): KeyValue {
  return { key: str(kv.key), value: str(kv.value), createRevision: num(kv.create_revision), modRevision: num(kv.mod_revision) };
}

/** The part of a grpc duplex stream used here. */
export interface DuplexLike {
  write(msg: unknown): boolean;
  end(): void;
  cancel?(): void;
  on(event: 'data', fn: (msg: Record<string, unknown>) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  on(event: 'end' | 'close', fn: () => void): void;
  removeAllListeners(): void;
}
