// A TCP proxy per etcd member for the agent tests: cutting it is an agent losing etcd while the
// cluster (and the API servers, which talk to etcd directly) stays up.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CutProxy {
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private ports: number[] = [];

  private constructor(private readonly targets: readonly { host: string; port: number }[]) {}

  /** endpoints like the cluster's, through the proxy */
  get endpoints(): string[] {
    return this.ports.map((p) => `http://127.0.0.1:${p}`);
  }

  static async start(endpoints: readonly string[]): Promise<CutProxy> {
    const proxy = new CutProxy(endpoints.map((e) => {
      const u = new URL(e);
      return { host: u.hostname, port: Number(u.port) };
    }));
    await proxy.listen(endpoints.map(() => 0));
    return proxy;
  }

  private async listen(ports: readonly number[]): Promise<void> {
    this.servers = [];
    this.ports = [];
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[i]!;
      const server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          this.sockets.add(s);
          s.on('close', () => this.sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(ports[i], '127.0.0.1', () => resolve());
      });
      this.servers.push(server);
      this.ports.push((server.address() as { port: number }).port);
    }
  }

  /** Refuses new connections and drops the open ones. */
  async cut(): Promise<void> {
    const ports = this.ports;
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all(closing);
    this.ports = ports;
  }

  /** Accepts connections again on the same ports. */
  async restore(): Promise<void> {
    await this.listen(this.ports);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
