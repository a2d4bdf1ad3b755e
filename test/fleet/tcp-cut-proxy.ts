// A TCP proxy per etcd member for the agent tests: cutting it is an agent losing etcd while the
// cluster (and the API servers, which talk to etcd directly) stays up; stalling it is a partition
// (nothing flows either way, no connection closes, new ones are accepted and hang) until resumed.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CutProxy {
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private ports: number[] = [];
  /** per connection: stop forwarding, and start again */
  private readonly pipes = new Map<Socket, { stall(): void; resume(): void }>();
  private stalled = false;

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
        const pipe = {
          stall: () => {
            client.unpipe(upstream);
            upstream.unpipe(client);
            client.pause();
            upstream.pause();
          },
          resume: () => {
            client.pipe(upstream);
            upstream.pipe(client);
          },
        };
        this.pipes.set(client, pipe);
        if (this.stalled) pipe.stall();
        else pipe.resume();
        client.on('close', () => (this.pipes.delete(client), upstream.destroy()));
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

  /** A partition: nothing is forwarded either way, connections stay open, new ones hang. */
  stall(): void {
    this.stalled = true;
    for (const p of this.pipes.values()) p.stall();
  }

  /** The partition heals: what was held back flows on. */
  resume(): void {
    this.stalled = false;
    for (const p of this.pipes.values()) p.resume();
  }

  /** Accepts connections again on the same ports. */
  async restore(): Promise<void> {
    await this.listen(this.ports);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
