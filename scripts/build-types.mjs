// Keeps the declarations of sgfw's JS API (src/js-api/: `import { replay } from 'sgfw'`) in
// dist/types/js-api/, and only those: the package's types promise the API's shapes
// (src/js-api/types.ts), not sgfw's internals. tsc emits every file's declarations into
// dist/.types/ (`npm run build` and `prepare` pass it --declaration --declarationDir dist/.types:
// one type-check for both); this takes the API's, fails when one of them refers to a file that is
// not kept (an internal type leaked into the API), and removes the rest.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ALL = join(ROOT, 'dist', '.types');
const FROM = join(ALL, 'js-api');
const OUT = join(ROOT, 'dist', 'types', 'js-api');

if (!existsSync(FROM)) {
  console.error(`${FROM}: missing: run tsc -p tsconfig.build.json --declaration --declarationDir dist/.types first (npm run build does)`);
  process.exit(1);
}
const kept = new Map(readdirSync(FROM).filter((f) => f.endsWith('.d.ts')).map((f) => [f, readFileSync(join(FROM, f), 'utf8')]));
const problems = [];
for (const [file, text] of kept) {
  for (const m of text.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
    const spec = m[1] ?? m[2];
    const target = /^\.\/[^/]+\.js$/.test(spec) ? spec.slice(2).replace(/\.js$/, '.d.ts') : undefined;
    if (target === undefined || !kept.has(target)) problems.push(`src/js-api/${file.replace(/\.d\.ts$/, '.ts')}: its declarations refer to ${spec}, which is not part of the API's types`);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
rmSync(join(ROOT, 'dist', 'types'), { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
for (const [file, text] of kept) writeFileSync(join(OUT, file), text);
rmSync(ALL, { recursive: true, force: true });
console.log(`sgfw: kept the JS API's types in dist/types/js-api/ (${kept.size} files)`);
