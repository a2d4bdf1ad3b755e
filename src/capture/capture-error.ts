// The one error family of capture files: a one-line message naming the file and what is wrong
// with it (and where, in bytes from the start of the file).

export class CaptureError extends Error {
  override readonly name = 'CaptureError';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}
