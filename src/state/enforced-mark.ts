// What a live mode last enforced, kept beside its state directory (`DIR.enforced`, outside DIR so
// that emptying or replacing DIR does not take it along): the directory's id and the entry its
// dataplane followed. A live start whose directory is behind it (an emptied directory starts a new
// chain; an older backup holds fewer entries) refuses: a firewall never silently enforces less than
// it did (issue 15). The record trails the store (written after the entry is acknowledged, off the
// answer's path), so it is never ahead of what the directory holds. Writes coalesce and start at
// most every WRITE_EVERY_MS: each is eight file operations (temp file, fsync, rename, directory
// fsync), and rewritten after every call they took a tenth of the API thread under a flood of
// changes (bench/control-plane-load.mjs); closing writes the last position at once.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fsErrorText, writeFileAtomic } from './durable-fs.js';
import { StateError } from './state-error.js';

export interface StorePosition {
  /** the state directory's id */
  readonly dir: string;
  readonly seq: number;
  readonly chain: string;
}

export function enforcedMarkFile(stateDir: string): string {
  return `${resolve(stateDir)}.enforced`;
}

const FORMAT = 'sgfw-enforced/1';
const WRITE_EVERY_MS = 100;

/** Throws StateError (fail closed) when `stateDir` at `now` is behind what was last enforced. */
export async function checkEnforced(stateDir: string, now: StorePosition): Promise<void> {
  const file = enforcedMarkFile(stateDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // never enforced from this directory
    throw new StateError(file, '', `cannot read what this host last enforced: ${fsErrorText(e)}`);
  }
  const accept = `restore ${stateDir}, or remove ${file} to enforce what it holds`;
  let last: Partial<StorePosition> & { format?: unknown };
  try {
    last = JSON.parse(text) as typeof last;
  } catch {
    last = {};
  }
  if (last?.format !== FORMAT || typeof last.dir !== 'string' || !Number.isSafeInteger(last.seq) || typeof last.chain !== 'string') {
    throw new StateError(file, '', `not a record of what this host last enforced (damaged?); refusing to start (fail closed): ${accept}`);
  }
  const held = `${stateDir} holds entry ${now.seq} of state directory ${now.dir}`;
  if (last.dir !== now.dir || last.seq! > now.seq || (last.seq === now.seq && last.chain !== now.chain)) {
    throw new StateError(file, '', `this host last enforced entry ${last.seq} of state directory ${last.dir}, but ${held}: refusing to enforce less (fail closed); ${accept}`);
  }
}

/** Rewrites the record as the store acknowledges entries; writes coalesce, one at a time. */
export class EnforcedMark {
  private readonly file: string;
  private latest: StorePosition | undefined;
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  /** when the last write started (performance.now()) */
  private lastStart = -Infinity;
  /** ends the wait before the next write (flush) */
  private wake: (() => void) | null = null;
  private flushing = false;

  constructor(
    stateDir: string,
    private readonly warn: (message: string) => void,
  ) {
    this.file = enforcedMarkFile(stateDir);
  }

  note(position: StorePosition): void {
    this.latest = position;
    if (this.scheduled) return;
    this.scheduled = true;
    this.writing = this.writing.then(async () => {
      const wait = this.lastStart + WRITE_EVERY_MS - performance.now();
      if (wait > 0 && !this.flushing) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
      this.lastStart = performance.now();
      this.scheduled = false;
      const p = this.latest!;
      const text = `${JSON.stringify({ format: FORMAT, dir: p.dir, seq: p.seq, chain: p.chain })}\n`;
      await writeFileAtomic(this.file, text, dirname(this.file)).catch((e: unknown) => this.warn(`${this.file}: cannot record what is enforced: ${fsErrorText(e)}`));
    });
  }

  /** Writes the last position noted now (no wait) and resolves once it is written. */
  flush(): Promise<void> {
    this.flushing = true;
    this.wake?.();
    return this.writing;
  }
}
