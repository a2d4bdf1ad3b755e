// A worker's start-up failure, carried to the main thread as the error it was: structured clone
// keeps an Error's message but not its class, and the CLI picks the exit code (and whether it is a
// one-line operator error or an internal one) by class: a missing addon, an interface that is not
// there, a queue another process holds must read the same from N workers as from one thread; a
// worker that cannot take the real-time class (--realtime-workers) is one line too.
import { CaptureError } from '../capture/capture-error.js';
import { MissingAddonError } from '../capture/missing-addon.js';
import { NfqueueError } from '../capture/nfqueue.js';
import { RealtimeError } from '../capture/realtime-thread.js';

/** What crosses: the class name, the message, and a CaptureError's parts and errno code. */
export interface WorkerFailure {
  name: string;
  message: string;
  file?: string;
  reason?: string;
  code?: string;
}

export function workerFailure(e: unknown): WorkerFailure {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const f: WorkerFailure = { name: e.name, message: e.message };
  if (e instanceof CaptureError) Object.assign(f, { file: e.file, reason: e.reason });
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string') f.code = code;
  return f;
}

/** The error again, of its own class where the CLI tells classes apart. */
export function errorOfWorker(f: WorkerFailure): Error {
  let e: Error;
  if (f.name === 'CaptureError' && f.file !== undefined && f.reason !== undefined) e = new CaptureError(f.file, f.reason);
  else if (f.name === 'MissingAddonError') e = new MissingAddonError(f.message);
  else if (f.name === 'NfqueueError') e = new NfqueueError(f.message);
  else if (f.name === 'RealtimeError') e = new RealtimeError(f.message);
  else e = new Error(f.message);
  return f.code === undefined ? e : Object.assign(e, { code: f.code });
}
