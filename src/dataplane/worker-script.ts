// Where a worker thread's entry module is. Workers run compiled JavaScript: from dist/ the entry
// is the sibling .js file of the module that starts it; from the TypeScript sources (vitest runs
// src/ through its own loader, which a worker thread does not get) it is the same file under dist/,
// which the test run builds first (test/support/build-dist.ts) — a worker started from a test
// judges with the tree's compiled code.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The URL of entry module `name` (`replay-worker.js`) beside the module at `moduleUrl` (the
 * caller's `import.meta.url`), or its dist/ twin when the caller runs from src/.
 */
export function workerScript(moduleUrl: string, name: string): URL {
  const beside = new URL(name, moduleUrl);
  if (!moduleUrl.endsWith('.ts')) return beside;
  const path = fileURLToPath(beside);
  const at = path.lastIndexOf('/src/');
  const built = at < 0 ? path : `${path.slice(0, at)}/dist/${path.slice(at + 5)}`;
  if (!existsSync(built)) throw new Error(`worker entry ${built} is not built: run npm run build`);
  return pathToFileURL(built);
}

/**
 * The Node options a worker thread starts with: the process's own, less those that only mean
 * something to a main script given on the command line (`node --input-type=module -e …` would
 * otherwise make every Worker fail to start with ERR_INPUT_TYPE_NOT_ALLOWED).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}
