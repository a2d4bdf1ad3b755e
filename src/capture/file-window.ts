// A sliding window over a file: one buffer, allocated once, refilled with fs.readSync as records
// are consumed, so a capture of any size is read in constant memory. Bytes at `start…end` are the
// unread part of the window; compaction moves them to the front, so offsets into the buffer are
// valid only until the next `ensure`.
import { readSync } from 'node:fs';

export class FileWindow {
  readonly buffer: Buffer;
  /** first unread byte in `buffer` */
  start = 0;
  /** end of the valid bytes in `buffer` */
  end = 0;
  /** file offset of buffer[0] */
  private base = 0;
  /** file offset of the next byte to read from the file */
  private filePosition = 0;

  constructor(
    private readonly fd: number,
    readonly fileLength: number,
    size: number,
  ) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** file offset of the first unread byte */
  get position(): number {
    return this.base + this.start;
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Makes `n` unread bytes available (n ≤ buffer size); false when the file ends first. */
  ensure(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end < n) {
      const read = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.filePosition);
      if (read <= 0) return false;
      this.end += read;
      this.filePosition += read;
    }
    return true;
  }

  /** Consumes `n` bytes, whether they are in the window or still in the file; false past the end of the file. */
  skip(n: number): boolean {
    if (this.position + n > this.fileLength) return false;
    if (n <= this.end - this.start) {
      this.start += n;
      return true;
    }
    const beyond = n - (this.end - this.start);
    this.base += this.end + beyond;
    this.filePosition += beyond;
    this.start = this.end = 0;
    return true;
  }
}
