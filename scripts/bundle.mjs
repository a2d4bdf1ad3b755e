// Bundles the CLI (src/cli/main.ts) into dist/bundle/: one entry file and a chunk per command
// (each command's `import()` in src/cli/commands.ts becomes a chunk), ESM, with the CommonJS
// dependencies (pino, prom-client, ipaddr.js …) inside. bin/sgfw.js runs it when it exists and
// dist/cli/main.js (tsc's output) otherwise. Run by `npm run build` and `prepare`, after tsc.
// Also the JS API (src/js-api/) as one CommonJS file, dist/bundle/sgfw.cjs: what `require('sgfw')`
// gets (package.json `exports`), so a jest suite without ESM support can use it (`import` gets
// tsc's dist/js-api/index.js).
//
// Why: Node resolves, reads and compiles every ESM file one by one; sgfw is some 300 of them, and
// that was most of `sgfw --version` (0.2–0.4 s against 0.06 s for `node -e 0`).
//
// What must hold for the bundle to behave as dist/ does:
// - dist/bundle/ is two folders below the package root, as dist/<folder>/ is: every
//   `new URL('../../…', import.meta.url)` (the native addons, package.json, scripts/) names the
//   same file from both. Chunks stay in dist/bundle/ itself for that reason.
// - Native addons and `cap` are loaded with createRequire(import.meta.url)(path) at run time:
//   esbuild does not follow those, so they load from native-bindings/ and node_modules as before.
// - CommonJS dependencies call require() for Node's built-ins: the banner gives ESM a `require`.
// - pino is used with pino.destination (sonic-boom, synchronous, in this thread), never with
//   pino.transport: its worker-thread transports (thread-stream, a file the worker loads by path)
//   would not survive bundling, and src/observe/logger.ts must keep not using them.
// - A worker thread's entry must be a file of its own, and esbuild does not follow
//   `new Worker(new URL('./x-worker.js', import.meta.url))`: add `'x-worker': 'src/<folder>/x-worker.ts'`
//   to ENTRIES. It is emitted as dist/bundle/x-worker.js, so that URL, started from a file in the
//   worker's own folder, names tsc's dist/<folder>/x-worker.js from dist/ and the bundled one from
//   the bundle's chunks.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'dist/bundle';
const ENTRIES = {
  main: 'src/cli/main.ts',
  // worker threads' entries (src/dataplane/worker-script.ts finds them beside the module that starts them)
  'replay-worker': 'src/replay/replay-worker.ts',
  'host-worker': 'src/live/host-worker.ts',
  'inline-worker': 'src/live/inline-worker.ts',
  'monitor-worker': 'src/live/monitor-worker.ts',
};

rmSync(`${ROOT}/${OUT}`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ENTRIES,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  banner: { js: "import { createRequire as __sgfwCreateRequire } from 'node:module'; const require = __sgfwCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // The AWS SDK stays in node_modules, imported only by `sgfw run --source ec2` (src/source/ec2-reader.ts, which
  // is loaded on demand): bundled, it would be a chunk no other command pays for either, but the test
  // that proves no other command loads it watches module resolution, which a chunk bypasses.
  // etcd3 stays there too: it and @grpc/grpc-js find their .proto files and package.json by
  // __dirname at run time, which ESM chunks do not have (only the fleet's commands load it).
  external: ['@aws-sdk/client-ec2', 'etcd3'],
});
// CommonJS has no import.meta: the addons' paths start from the file's own URL instead.
const api = await build({
  absWorkingDir: ROOT,
  entryPoints: { sgfw: 'src/js-api/index.ts' },
  outdir: OUT,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__sgfwFileUrl' },
  banner: { js: "const __sgfwFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
Object.assign(result.metafile.outputs, api.metafile.outputs);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`sgfw: bundled the CLI into ${OUT}/ (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB)`);
