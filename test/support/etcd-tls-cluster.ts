// A 3-member etcd as production runs it (issue 19), for the fleet's TLS and auth tests: https for
// clients and peers with certificates made by scripts/etcd-certs.sh (a CA, one certificate per
// member, client certificates whose CN is the etcd user, an expired one and an unrelated CA), client
// certificates required (--client-cert-auth), and etcd auth enabled with a root user. Users and
// roles for the API server and each agent are added as the README's "Fleet on a production etcd"
// grants them: the API reads and writes the prefix; an agent reads it and writes only its own
// status/<host-id> key. Members listen on loopback at a random base port (retried when taken); the
// directory and every member go with destroy().
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPTS = join(import.meta.dirname, '..', '..', 'scripts');

/** An etcd user with what a client needs to be it: a password (also in a file) and a client certificate with CN=name. */
export interface EtcdUser {
  readonly name: string;
  readonly password: string;
  readonly passwordFile: string;
  readonly cert: string;
  readonly key: string;
}

/** How etcdctl presents itself: root's certificate (CN=root) when not said, a user's password over root's certificate, or other files. */
export type EtcdctlAs =
  | { readonly user: string; readonly password: string }
  | { readonly cert: string; readonly key: string; readonly cacert?: string }
  | { readonly noClientCertificate: true };

export interface EtcdctlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One etcdctl command, as root, and what it reads on stdin (a password). */
export interface EtcdctlCommand {
  readonly args: readonly string[];
  readonly input?: string;
}

/** The README's grants, as etcdctl commands: the API servers' role (readwrite on the prefix). */
export function apiRoleCommands(prefix: string): EtcdctlCommand[] {
  return [{ args: ['role', 'add', 'sgfw-api'] }, { args: ['role', 'grant-permission', 'sgfw-api', 'readwrite', '--prefix', prefix] }];
}

/** Every agent's role: read the prefix. */
export function agentRoleCommands(prefix: string): EtcdctlCommand[] {
  return [{ args: ['role', 'add', 'sgfw-agent'] }, { args: ['role', 'grant-permission', 'sgfw-agent', 'read', '--prefix', prefix] }];
}

/** One host's role: write its own status key, that key only. */
export function statusRoleCommands(prefix: string, hostId: string): EtcdctlCommand[] {
  return [{ args: ['role', 'add', `sgfw-status-${hostId}`] }, { args: ['role', 'grant-permission', `sgfw-status-${hostId}`, 'write', `${prefix}status/${hostId}`] }];
}

/** A user (its password on stdin, as the README has it: an argument would show in `ps`) and its roles. */
export function userCommands(name: string, password: string, roles: readonly string[]): EtcdctlCommand[] {
  return [{ args: ['user', 'add', name, '--interactive=false'], input: `${password}\n` }, ...roles.map((role) => ({ args: ['user', 'grant-role', name, role] }))];
}

/** root with the root role, then auth on (last: before it, nothing else needs root). */
export function enableAuthCommands(rootPassword: string): EtcdctlCommand[] {
  return [...userCommands('root', rootPassword, ['root']), { args: ['auth', 'enable'] }];
}

export class EtcdTlsCluster {
  private constructor(
    /** everything: certs/, etcd/ (the members' data and logs), password files */
    readonly dir: string,
    readonly basePort: number,
    /** https://127.0.0.1:PORT, one per member */
    readonly endpoints: readonly string[],
    /** the key prefix the roles are granted on */
    readonly prefix: string,
    readonly root: EtcdUser,
  ) {}

  /** `etcds://…/PREFIX/` for `--store` */
  get storeUrl(): string {
    return `etcds://${this.endpoints.map((e) => e.replace('https://', '')).join(',')}${this.prefix}`;
  }

  /** A file of the PKI: ca.pem, mN.pem, NAME.pem/.key, root-expired.pem/.key, other-ca.pem, other-client.pem/.key. */
  cert(name: string): string {
    return join(this.dir, 'certs', name);
  }

  private get etcdDir(): string {
    return join(this.dir, 'etcd');
  }

  /** Certificates, members, then auth; the prefix (default /sgfw/) is the one roles are granted on. */
  static async start(prefix = '/sgfw/'): Promise<EtcdTlsCluster> {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new RangeError(`prefix must start and end with '/', got '${prefix}'`);
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-etcd-tls-'));
    try {
      await run('bash', [join(SCRIPTS, 'etcd-certs.sh'), join(dir, 'certs'), '--expired', 'root', '--other-ca'], { timeout: 60_000 });
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        const base = 20000 + 10 * Math.floor(Math.random() * 3000);
        const etcd = join(dir, 'etcd');
        try {
          const { stdout } = await run('bash', [join(SCRIPTS, 'etcd-cluster.sh'), 'start', etcd, String(base), '--tls', join(dir, 'certs')], { timeout: 60_000 });
          const root = userFiles(dir, 'root');
          const cluster = new EtcdTlsCluster(dir, base, stdout.trim().split(','), prefix, root);
          await cluster.enableAuth();
          return cluster;
        } catch (e) {
          lastError = e; // most likely a port in use: another base
          await run('bash', [join(SCRIPTS, 'etcd-cluster.sh'), 'stop', etcd], { timeout: 60_000 }).catch(() => undefined);
          rmSync(etcd, { recursive: true, force: true });
        }
      }
      throw lastError;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** etcdctl against member 0 (or `endpoint`), `input` on its stdin: never throws, the exit code says. */
  async etcdctl(args: readonly string[], as?: EtcdctlAs, endpoint = this.endpoints[0]!, input: string = ''): Promise<EtcdctlResult> {
    const identity =
      as === undefined ? [`--cert=${this.root.cert}`, `--key=${this.root.key}`, `--user=root:${this.root.password}`]
      : 'noClientCertificate' in as ? []
      : 'user' in as ? [`--cert=${this.root.cert}`, `--key=${this.root.key}`, `--user=${as.user}:${as.password}`]
      : [`--cert=${as.cert}`, `--key=${as.key}`];
    const cacert = as !== undefined && 'cacert' in as && as.cacert !== undefined ? as.cacert : this.cert('ca.pem');
    const argv = [`--endpoints=${endpoint}`, `--cacert=${cacert}`, ...identity, '--dial-timeout=1s', '--command-timeout=3s', ...args];
    return new Promise((resolve) => {
      const child = execFile('etcdctl', argv, { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 30_000 }, (e, stdout, stderr) => {
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stdout, stderr });
      });
      child.stdin?.end(input);
    });
  }

  /** etcdctl as root; throws with its stderr when it fails. */
  async admin(...args: string[]): Promise<string> {
    return this.run({ args });
  }

  private async run(command: EtcdctlCommand, as?: EtcdctlAs): Promise<string> {
    const r = await this.etcdctl(command.args, as, this.endpoints[0], command.input);
    if (r.code !== 0) throw new Error(`etcdctl ${command.args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The API server's user: role sgfw-api, readwrite on the prefix. */
  async addApiUser(name = 'sgfw-api'): Promise<EtcdUser> {
    await this.ensureRole('sgfw-api', apiRoleCommands(this.prefix));
    return this.addUser(name, ['sgfw-api']);
  }

  /** An agent's user: role sgfw-agent (read the prefix) and sgfw-status-HOST (write status/HOST only). */
  async addAgentUser(hostId: string, name = `sgfw-agent-${hostId}`): Promise<EtcdUser> {
    await this.ensureRole('sgfw-agent', agentRoleCommands(this.prefix));
    await this.ensureRole(`sgfw-status-${hostId}`, statusRoleCommands(this.prefix, hostId));
    return this.addUser(name, ['sgfw-agent', `sgfw-status-${hostId}`]);
  }

  /** A user with a random password and a client certificate (CN=name), granted `roles`. */
  async addUser(name: string, roles: readonly string[]): Promise<EtcdUser> {
    await run('bash', [join(SCRIPTS, 'etcd-certs.sh'), join(this.dir, 'certs'), name], { timeout: 60_000 });
    const user = userFiles(this.dir, name);
    for (const c of userCommands(name, user.password, roles)) await this.run(c);
    return user;
  }

  private readonly roles = new Set<string>();

  private async ensureRole(role: string, commands: readonly EtcdctlCommand[]): Promise<void> {
    if (this.roles.has(role)) return;
    for (const c of commands) await this.run(c);
    this.roles.add(role);
  }

  /** root (its password and CN=root certificate) with the root role, then auth on. */
  private async enableAuth(): Promise<void> {
    for (const c of enableAuthCommands(this.root.password)) await this.run(c, { cert: this.root.cert, key: this.root.key });
  }

  async stopMember(i: number): Promise<void> {
    await run('bash', [join(SCRIPTS, 'etcd-cluster.sh'), 'stop', this.etcdDir, '--member', String(i)], { timeout: 60_000 });
  }

  async startMember(i: number): Promise<void> {
    await run('bash', [join(SCRIPTS, 'etcd-cluster.sh'), 'start', this.etcdDir, '--member', String(i)], { timeout: 60_000 });
  }

  /** Stops every member and removes the directory. */
  async destroy(): Promise<void> {
    await run('bash', [join(SCRIPTS, 'etcd-cluster.sh'), 'stop', this.etcdDir], { timeout: 60_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh password (written to DIR/NAME.password, 0600) and the certificate files of `name` (in DIR/certs). */
export function userFiles(dir: string, name: string): EtcdUser {
  const password = randomBytes(12).toString('base64url');
  const passwordFile = join(dir, `${name}.password`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  return { name, password, passwordFile, cert: join(dir, 'certs', `${name}.pem`), key: join(dir, 'certs', `${name}.key`) };
}
