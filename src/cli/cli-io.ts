// Where a command writes. Injected so tests run `main()` in-process and read what it printed;
// process.stdout/stderr satisfy it as they are.

export interface OutputStream {
  write(chunk: string): unknown;
  /** set on a terminal; commands draw progress bars only then */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}
