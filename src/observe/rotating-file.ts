// An append-only text file that rotates itself logrotate-style: FILE → FILE.1 → … → FILE.N, the
// oldest dropped. Writes are synchronous (a process that stops right after a write has it on
// disk) and whole chunks at a time, so rotation never splits a chunk. Errors are thrown to the
// caller, which decides how to report them; the file's state stays consistent for the next try.
import { closeSync, fstatSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';

export interface RotatingFileOptions {
  /** rotate before a write that would take the file past this many bytes; 0: never (default 64 MiB) */
  maxBytes?: number;
  /** rotate before a write once the file has been open this long; 0: never (default 3600) */
  maxAgeSec?: number;
  /** rotated files kept, FILE.1 the newest (default 5; 0: none, FILE is just started afresh) */
  keep?: number;
  /** written first into a file that is empty (new, rotated, or truncated by copytruncate) */
  header?: string;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_AGE_SEC = 3600;
export const DEFAULT_KEEP = 5;

export class RotatingFile {
  private fd = -1;
  private dev = 0;
  private ino = 0;
  /** when the current file was opened or started, seconds on the caller's clock */
  private openedAt = 0;
  private readonly maxBytes: number;
  private readonly maxAgeSec: number;
  private readonly keep: number;

  constructor(
    readonly path: string,
    private readonly options: RotatingFileOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxAgeSec = options.maxAgeSec ?? DEFAULT_MAX_AGE_SEC;
    this.keep = options.keep ?? DEFAULT_KEEP;
    for (const [name, v] of [['maxBytes', this.maxBytes], ['maxAgeSec', this.maxAgeSec], ['keep', this.keep]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name}: expected an integer ≥ 0, got ${v}`);
    }
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** Opens FILE for appending (creating it) unless it is open; `nowSec` starts its age. */
  open(nowSec: number): void {
    if (this.fd >= 0) return;
    const fd = openSync(this.path, 'a', 0o640);
    const st = fstatSync(fd);
    this.fd = fd;
    this.dev = st.dev;
    this.ino = st.ino;
    this.openedAt = nowSec;
  }

  /** Appends `text` in one go, rotating first when the size or age limit says so. */
  write(text: string, nowSec: number): void {
    this.followPath();
    this.open(nowSec);
    let size = fstatSync(this.fd).size;
    const bytes = Buffer.byteLength(text);
    if (size > 0 && this.due(size, bytes, nowSec)) {
      this.rotate(nowSec);
      size = 0;
    }
    // Emptied by copytruncate or new: a header starts it again.
    if (size === 0 && this.options.header !== undefined) writeAll(this.fd, Buffer.from(`${this.options.header}\n`));
    writeAll(this.fd, Buffer.from(text));
  }

  /** FILE → FILE.1 → … → FILE.keep (the old FILE.keep is overwritten), then a new empty FILE. */
  rotate(nowSec: number): void {
    this.closeFd();
    if (this.keep === 0) {
      unlinkIfThere(this.path);
    } else {
      for (let i = this.keep - 1; i >= 1; i--) renameIfThere(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameIfThere(this.path, `${this.path}.1`);
    }
    this.open(nowSec);
  }

  /** SIGHUP-style: closes FILE, so the next write opens whatever is at the path now. */
  reopen(): void {
    this.closeFd();
  }

  close(): void {
    this.closeFd();
  }

  private due(size: number, bytes: number, nowSec: number): boolean {
    if (this.maxBytes > 0 && size + bytes > this.maxBytes) return true;
    return this.maxAgeSec > 0 && nowSec - this.openedAt >= this.maxAgeSec;
  }

  /**
   * Moved away or deleted by someone else (logrotate without copytruncate, an operator): start a
   * new file at the path rather than keep writing into the old one. One stat per write.
   */
  private followPath(): void {
    if (this.fd < 0) return;
    let same = false;
    try {
      const st = statSync(this.path);
      same = st.ino === this.ino && st.dev === this.dev;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!same) this.closeFd();
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
