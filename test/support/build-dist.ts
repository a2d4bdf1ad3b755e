// vitest globalSetup: compile src/ into dist/ once, as `npm ci` (prepare) does.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  // tsc emits even when files have type errors; `npm test` typechecks first and reports them.
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (r.error) throw r.error;
}
