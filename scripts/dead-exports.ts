// Lists the exports of src/ that no other file uses: src/, test/, scripts/ (through the TypeScript
// checker, so `import * as x` then `x.name`, `import('…')` types and destructured `await import()`
// count), and bench/ and bin/ (plain JS loading dist/: any identifier there of the export's name
// counts, as do the names in code that tests hand to child processes as strings). Two kinds:
//   unused     nothing uses the symbol, not even its own file: delete it
//   file-only  only its own file uses it: drop `export`
// An index.ts re-export is not a use: a symbol re-exported and never imported is still dead.
//
//   npx vite-node scripts/dead-exports.ts        (exit status 1 when any is found)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface DeadExport {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly kind: 'unused' | 'file-only';
}

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');

function repoPath(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Every identifier-like word of the JS files under `dir` (bench/, bin/): they import dist/, outside the checker. */
function wordsOfJs(dir: string, into: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) wordsOfJs(full, into);
    else if (/\.(m|c)?js$/.test(name)) for (const w of readFileSync(full, 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? []) into.add(w);
  }
}

export function findDeadExports(root: string = ROOT): DeadExport[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (config === undefined) throw new Error('tsconfig.json unreadable');
  const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const files = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/'));

  const resolve = (s: ts.Symbol): ts.Symbol => ((s.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(s) : s);
  /** symbol → the files (repository paths) that use it, its own included */
  const usedIn = new Map<ts.Symbol, Set<string>>();
  const use = (s: ts.Symbol | undefined, file: string): void => {
    if (s === undefined) return;
    for (const t of new Set([s, resolve(s)])) {
      let set = usedIn.get(t);
      if (set === undefined) usedIn.set(t, (set = new Set()));
      set.add(file);
    }
  };
  const jsNames = new Set<string>();
  wordsOfJs(join(root, 'bench'), jsNames);
  wordsOfJs(join(root, 'bin'), jsNames);

  for (const sf of files) {
    const file = repoPath(root, sf.fileName);
    const visit = (node: ts.Node): void => {
      // `export … from` in an index.ts hands a symbol on; it does not use it.
      if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) return;
      if (ts.isIdentifier(node)) {
        const s = checker.getSymbolAtLocation(node);
        const isOwnName = s?.declarations?.some((d) => ts.getNameOfDeclaration(d) === node) === true;
        if (!isOwnName) use(s, file);
        if (ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node) {
          use(checker.getShorthandAssignmentValueSymbol(node.parent), file);
        }
      } else if (ts.isObjectBindingPattern(node)) {
        // `const { a } = await import('…')`: `a` names a property of the module's namespace.
        const type = checker.getTypeAtLocation(node);
        for (const el of node.elements) {
          const key = el.propertyName ?? el.name;
          if (ts.isIdentifier(key)) use(type.getProperty(key.text), file);
        }
      } else if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
        // Code handed to a child process (`node --input-type=module -e …`) imports dist/ by name.
        if (/\b(import|require)\s*\(/.test(node.text)) for (const w of node.text.match(/[A-Za-z_$][\w$]*/g) ?? []) jsNames.add(w);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  const out: DeadExport[] = [];
  for (const sf of files) {
    const file = repoPath(root, sf.fileName);
    if (!file.startsWith('src/')) continue;
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (moduleSymbol === undefined) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = resolve(exported);
      const decls = target.declarations ?? [];
      // Re-exports are judged where they are declared.
      if (decls.length === 0 || !decls.some((d) => d.getSourceFile() === sf)) continue;
      const users = new Set([...(usedIn.get(target) ?? []), ...(usedIn.get(exported) ?? [])]);
      const elsewhere = [...users].some((f) => f !== file) || jsNames.has(exported.name);
      if (elsewhere) continue;
      const decl = decls.find((d) => d.getSourceFile() === sf)!;
      const line = sf.getLineAndCharacterOfPosition(decl.getStart(sf)).line + 1;
      out.push({ file, line, name: exported.name, kind: users.has(file) ? 'file-only' : 'unused' });
    }
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

export function formatDeadExport(d: DeadExport): string {
  return `${d.file}:${d.line}: ${d.name} (${d.kind === 'unused' ? 'unused: delete it' : 'used only in its own file: drop export'})`;
}

// Run by vite-node (the CLI), not when a test imports the function.
if (!process.env.VITEST) {
  const dead = findDeadExports();
  for (const d of dead) console.log(formatDeadExport(d));
  console.log(`${dead.length} dead export${dead.length === 1 ? '' : 's'}`);
  process.exitCode = dead.length === 0 ? 0 : 1;
}
