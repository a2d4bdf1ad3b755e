// How a failed EC2 read is reported to the poller: its code, and whether EC2 throttled it. Apart
// from ec2-reader.ts so that the poller (and `sgfw run`, which names it) can tell a failure without
// loading the AWS SDK: the SDK is loaded only when `--source ec2` is given (it costs seconds of
// start-up that no other command should pay).

/** A failed read: `throttled` when EC2 answered RequestLimitExceeded (or another throttling code) to the end. */
export class Ec2ReadError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly throttled: boolean,
  ) {
    super(message);
    this.name = 'Ec2ReadError';
  }
}

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestThrottled']);

/** Any error of a read (the SDK's service errors, network errors) as one Ec2ReadError. */
export function readError(e: unknown): Ec2ReadError {
  if (e instanceof Ec2ReadError) return e;
  const err = e as { name?: string; message?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.Code ?? (err.$metadata?.httpStatusCode !== undefined ? err.name : err.code);
  const status = err.$metadata?.httpStatusCode;
  // No HTTP status: the request never got an answer (refused, reset, timed out, no route).
  const what = status !== undefined ? `${code ?? 'error'} (HTTP ${status}): ${err.message ?? ''}` : `EC2 endpoint unreachable: ${err.message ?? String(e)}`;
  return new Ec2ReadError(what.trim(), code, code !== undefined && THROTTLING.has(code));
}
