// A TCP proxy in front of each etcd member, in its own process (bench/fleet-propagation.mjs): the
// simulated agents connect through it, and cutting it is every agent losing etcd while the API
// server keeps it. Its own process, so that copying every agent's bytes twice does not take the
// event loop the agents are measured on.
//   startProxy(endpoints) → { endpoints(), connections(), cut(), restore(), stop() }
// The child (this file run with fork): messages { op: 'listen' | 'cut' | 'stats' } on IPC, each
// answered with { ports, connections, peak }.
import { fork } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

if (process.send !== undefined && process.argv[2] === '--child') {
  const endpoints = JSON.parse(process.argv[3]);
  const sockets = new Set();
  const ports = endpoints.map(() => 0);
  let servers = [];
  let peak = 0;
  const listen = () => Promise.all(endpoints.map((e, i) => new Promise((resolve, reject) => {
    const u = new URL(e);
    const server = createServer((client) => {
      const up = connect(Number(u.port), u.hostname);
      for (const s of [client, up]) {
        sockets.add(s);
        s.setNoDelay(true);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      peak = Math.max(peak, sockets.size / 2);
      client.pipe(up);
      up.pipe(client);
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    server.on('error', reject);
    server.listen(ports[i], '127.0.0.1', () => {
      ports[i] = server.address().port;
      resolve(server);
    });
  })));
  const cut = async () => {
    const closing = servers.map((s) => new Promise((r) => s.close(() => r())));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await Promise.all(closing);
    servers = [];
  };
  process.on('message', async (m) => {
    try {
      if (m.op === 'listen') servers = await listen();
      else if (m.op === 'cut') await cut();
      process.send({ id: m.id, ports, connections: sockets.size / 2, peak });
    } catch (e) {
      process.send({ id: m.id, error: String(e.message ?? e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

export async function startProxy(endpoints) {
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(endpoints)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`tcp proxy: ${m.error}`));
    else w?.resolve(m);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`tcp proxy exited (${code})`));
    waiting.clear();
  });
  const ask = (op) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve, reject });
    child.send({ op, id });
  });
  let last = await ask('listen');
  return {
    endpoints: () => last.ports.map((p) => `http://127.0.0.1:${p}`),
    async connections() {
      last = await ask('stats');
      return last.connections;
    },
    async peakConnections() {
      last = await ask('stats');
      return last.peak;
    },
    async cut() {
      last = await ask('cut');
    },
    async restore() {
      last = await ask('listen');
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
    },
  };
}
