// The service manager's end of the notify protocol, for tests: an AF_UNIX datagram socket bound by
// python3 (Node cannot bind one), at a path or an abstract name ('@…'), printing each datagram as a
// JSON line. On each READY=1 it first runs `atReady` (a command) and records what it printed, so a
// test sees the world as it was when sgfw said it was ready (rules in, API answering).
import { spawn, type ChildProcess } from 'node:child_process';

const RECEIVER = `
import json, socket, subprocess, sys
path, at_ready = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + path[1:] if path.startswith('@') else path)
print(json.dumps({'bound': path}), flush=True)
while True:
    m = s.recv(65536).decode()
    r = {'message': m}
    if at_ready and 'READY=1' in m.split('\\n'):
        p = subprocess.run(at_ready, capture_output=True, text=True)
        r['atReady'] = p.stdout + p.stderr
    print(json.dumps(r), flush=True)
`;

export interface Notification {
  message: string;
  /** what `atReady` printed, on READY=1 messages */
  atReady?: string;
}

export interface NotifyReceiver {
  readonly messages: Notification[];
  /** resolves with the index of the first message from `from` on whose first line is `first`; rejects after `ms` */
  next(first: string, from: number, ms?: number): Promise<number>;
  close(): void;
}

/** `prefix`: e.g. ['ip', 'netns', 'exec', NS] to bind inside a network namespace (abstract names are per namespace). */
export function notifyReceiver(socket: string, atReady: string[] = [], prefix: string[] = []): Promise<NotifyReceiver> {
  const argv = [...prefix, 'python3', '-c', RECEIVER, socket, ...atReady];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: Notification[] = [];
  const waiters = new Set<() => void>();
  let bound: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  let buffered = '';
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as Notification & { bound?: string };
      buffered = buffered.slice(nl + 1);
      if (line.bound !== undefined) bound();
      else messages.push(line);
    }
    for (const w of waiters) w();
  });
  child.on('exit', (code) => failed(new Error(`the notify receiver exited (${code}): ${errors}`)));
  const receiver: NotifyReceiver = {
    messages,
    next(first, from, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const i = messages.findIndex((m, j) => j >= from && m.message.split('\n')[0] === first);
          if (i < 0) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(i);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${first} from message ${from} within ${ms} ms: ${JSON.stringify(messages)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close() {
      child.kill('SIGKILL');
    },
  };
  return new Promise((resolve, reject) => {
    bound = () => resolve(receiver);
    failed = reject;
  });
}
