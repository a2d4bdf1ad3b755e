// The real `sgfw serve` as an operator runs it: `node bin/sgfw.js` (dist/, built by the vitest
// globalSetup) in its own process, so a test can SIGTERM it, or SIGKILL it mid-call.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'sgfw.js');

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** everything written on stderr so far */
  stderr(): string;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to flush or close anything */
  kill(): Promise<void>;
}

/** `sgfw credentials create`: the two `export`-ready lines, parsed. */
export function createCredentials(dir: string): { accessKeyId: string; secretAccessKey: string } {
  const r = spawnSync(process.execPath, [BIN, 'credentials', 'create', '--state-dir', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sgfw credentials create exited ${r.status}: ${r.stderr}`);
  const env = Object.fromEntries(r.stdout.trimEnd().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string };
}

/** Starts `sgfw serve --listen 127.0.0.1:0` and resolves once it prints the URL it listens on. */
export function startServe(dir: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--state-dir', dir, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sgfw serve did not start within 10 s; stderr: ${err}`));
    }, 10_000);
    const early = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`sgfw serve exited ${code} before listening; stderr: ${err}`));
    };
    child.once('exit', early);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m === null) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        url: m[1] as string,
        child,
        stderr: () => err,
        async stop() {
          child.kill('SIGTERM');
          return exited;
        },
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
