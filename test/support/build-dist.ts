// vitest globalSetup: compile src/ into dist/ once, and bundle the CLI into dist/bundle/, as
// `npm ci` (prepare) does: bin/sgfw.js runs the bundle when there is one, so a stale one must not stay.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  // tsc emits even when files have type errors; `npm test` typechecks first and reports them.
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (r.error) throw r.error;
  const b = spawnSync(process.execPath, ['scripts/bundle.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.error) throw b.error;
  if (b.status !== 0) throw new Error('scripts/bundle.mjs failed (its errors are above)');
}
