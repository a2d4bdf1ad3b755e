// A 3-member etcd cluster for the fleet tests, through scripts/etcd-cluster.sh, in a temp dir on a
// random base port. Tests need Debian's etcd: they run wherever it is installed and in CI, where a
// missing etcd is a failure rather than a skip.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'etcd-cluster.sh');

export const etcdEnabled = existsSync('/usr/bin/etcd') || Boolean(process.env.CI);

export class EtcdCluster {
  private constructor(
    readonly dir: string,
    readonly basePort: number,
    readonly endpoints: readonly string[],
  ) {}

  /** `etcd://…` for `--store` */
  get storeUrl(): string {
    return `etcd://${this.endpoints.map((e) => e.replace('http://', '')).join(',')}`;
  }

  static async start(): Promise<EtcdCluster> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'sgfw-etcd-'));
      const base = 20000 + 10 * Math.floor(Math.random() * 3000);
      try {
        const { stdout } = await run('bash', [SCRIPT, 'start', dir, String(base)], { timeout: 60_000 });
        return new EtcdCluster(dir, base, stdout.trim().split(','));
      } catch (e) {
        lastError = e; // most likely a port in use: another base
        await run('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 }).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    throw lastError;
  }

  async stopMember(i: number): Promise<void> {
    await run('bash', [SCRIPT, 'stop', this.dir, '--member', String(i)], { timeout: 60_000 });
  }

  async startMember(i: number): Promise<void> {
    await run('bash', [SCRIPT, 'start', this.dir, '--member', String(i)], { timeout: 60_000 });
  }

  /** the member's etcd process */
  pid(i: number): number {
    return Number(readFileSync(join(this.dir, `m${i}.pid`), 'utf8').trim());
  }

  /** SIGSTOP: the member holds its connections and answers nothing (a hung machine). */
  freeze(i: number): void {
    process.kill(this.pid(i), 'SIGSTOP');
  }

  /** SIGCONT after freeze(). */
  thaw(i: number): void {
    process.kill(this.pid(i), 'SIGCONT');
  }

  /** SIGKILL: the member dies at once, mid-request (startMember brings it back); resolves once it is gone. */
  async kill(i: number): Promise<void> {
    const pid = this.pid(i);
    process.kill(pid, 'SIGKILL');
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stopAll(): Promise<void> {
    await run('bash', [SCRIPT, 'stop', this.dir], { timeout: 60_000 });
  }

  async startAll(): Promise<void> {
    await run('bash', [SCRIPT, 'start', this.dir], { timeout: 60_000 });
  }

  async status(): Promise<string> {
    const r = await run('bash', [SCRIPT, 'status', this.dir], { timeout: 60_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    return r.stdout;
  }

  /** Stops every member and removes the directory. */
  async destroy(): Promise<void> {
    for (let i = 0; i < this.endpoints.length; i++) {
      try {
        this.thaw(i);
      } catch {
        /* not running */
      }
    }
    await this.stopAll().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
