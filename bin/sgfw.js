#!/usr/bin/env node
// The compiled CLI runs in this very process (no fork), so signals reach sgfw itself.
// It runs the bundle (dist/bundle/, `npm run build`: scripts/bundle.mjs) when there is one, tsc's
// dist/ otherwise. Node 22.1+ also keeps the compiled code in its compile cache
// (module.enableCompileCache: NODE_COMPILE_CACHE, or a folder under the temp dir); Node 20 has none.
import { existsSync } from 'node:fs';
import module from 'node:module';

module.enableCompileCache?.();
const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
