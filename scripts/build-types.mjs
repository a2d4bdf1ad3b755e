// Emits the declarations of sgfw's JS API (src/js-api/: `import { replay } from 'sgfw'`) into
// dist/types/, and only those: the package's types promise the API's shapes (src/js-api/types.ts),
// not sgfw's internals. Fails when a kept declaration refers to a file that is not kept (an
// internal type leaked into the API). Run by `npm run build` and `prepare`, after tsc.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist', 'types');
const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
const options = { ...config.options, declaration: true, emitDeclarationOnly: true, declarationMap: false, sourceMap: false, noEmit: false, outDir: join(ROOT, 'dist'), declarationDir: OUT };
const program = ts.createProgram({ rootNames: [join(ROOT, 'src', 'js-api', 'index.ts')], options });

const API = join(OUT, 'js-api');
const kept = new Map();
program.emit(undefined, (file, text) => {
  if (resolve(file).startsWith(`${API}/`)) kept.set(resolve(file), text);
}, undefined, true);

const problems = [];
for (const [file, text] of kept) {
  for (const m of text.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
    const spec = m[1] ?? m[2];
    const target = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')) : undefined;
    if (target === undefined || !kept.has(target)) problems.push(`${relative(ROOT, file)}: refers to ${spec}, which is not part of the API's types`);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
rmSync(OUT, { recursive: true, force: true });
for (const [file, text] of kept) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
console.log(`sgfw: wrote the JS API's types into dist/types/js-api/ (${kept.size} files)`);
