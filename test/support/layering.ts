// The layering table of CONVENTIONS.md as data, the reader that finds every import of a src/ file,
// and the two checks test/layering.test.ts runs: the table, and no import cycles. Kept apart from the
// test so the checks themselves can be tested on made-up imports (a check that cannot fail proves
// nothing).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** A folder of src/, or the native addons beside it. */
export type Layer =
  | 'model' | 'control' | 'state' | 'api' | 'packet' | 'classify' | 'conntrack' | 'dataplane'
  | 'capture' | 'observe' | 'live' | 'replay' | 'fleet' | 'source' | 'cli' | 'js-api' | 'native-bindings';

export interface LayerRule {
  /** Folders whose files this folder may import (its own files always). */
  readonly may: readonly Layer[];
  /** Of `may`, the folders it may import types from only (`import type`, no runtime edge). */
  readonly typesOnly?: readonly Layer[];
  /** Of `may`, the folders it may import these files of only. */
  readonly onlyFiles?: Partial<Record<Layer, readonly string[]>>;
}

const ALL_OF_OURS: readonly Layer[] = [
  'model', 'control', 'state', 'api', 'packet', 'classify', 'conntrack', 'dataplane', 'capture', 'observe',
  'live', 'replay', 'fleet', 'source',
];

/**
 * The table, one entry per folder. Nothing imports cli or js-api (no folder lists them); live,
 * replay, fleet and source list none of one another; native addons are loaded in capture only.
 */
export const LAYERS: Readonly<Record<Exclude<Layer, 'native-bindings'>, LayerRule>> = {
  model: { may: [] },
  control: { may: ['model'] },
  state: { may: ['model', 'control'] },
  api: { may: ['control', 'state'] },
  packet: { may: [] },
  classify: { may: ['model', 'packet'] },
  conntrack: { may: ['packet', 'model'], typesOnly: ['model'] },
  dataplane: { may: ['packet', 'classify', 'conntrack', 'model', 'observe'], typesOnly: ['observe'] },
  capture: { may: ['packet', 'native-bindings'], onlyFiles: { packet: ['src/packet/link-types.ts'] } },
  observe: { may: ['model'] },
  live: { may: ['dataplane', 'capture', 'observe', 'control', 'state', 'model', 'packet'] },
  replay: { may: ['dataplane', 'capture', 'observe', 'control', 'state', 'model', 'packet'] },
  fleet: { may: ['control', 'state', 'api', 'dataplane', 'observe', 'model'] },
  // Following an EC2 account: reads it, loads it as state files are, hands the Dataplane a ModelView.
  source: { may: ['control', 'state', 'model', 'dataplane', 'observe'], typesOnly: ['observe'] },
  cli: { may: ALL_OF_OURS },
  // the package's JS API (`import { replay } from 'sgfw'`): a consumer beside cli, imported by nothing
  'js-api': { may: ['replay', 'state', 'control', 'dataplane', 'observe', 'packet', 'capture'] },
};

/** One import of a src/ file: who, where, of what. Paths are relative to the repository, with `/`. */
export interface ImportRef {
  readonly file: string;
  readonly line: number;
  /** The module as written (`../model/types.js`), or a description when there is none. */
  readonly specifier: string;
  /** The file it resolves to (`src/model/types.ts`), `native-bindings/…`, or undefined for a package. */
  readonly target: string | undefined;
  /** True when only types cross (`import type`, all specifiers `type`, `import('…')` in a type). */
  readonly typeOnly: boolean;
  /** A load the checker cannot follow (a computed `import()` or `require()`): always reported. */
  readonly unresolvable?: string;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

/** `src/<folder>/…` → folder, `native-bindings/…` → 'native-bindings', else undefined. */
export function layerOf(path: string): string | undefined {
  if (path.startsWith('native-bindings/')) return 'native-bindings';
  const m = /^src\/([^/]+)\/./.exec(path);
  return m ? m[1] : undefined;
}

/** Every import in `files` that the table does not allow, each with the rule it breaks. */
export function checkLayering(imports: readonly ImportRef[]): Violation[] {
  const out: Violation[] = [];
  for (const imp of imports) {
    const at = { file: imp.file, line: imp.line };
    const from = layerOf(imp.file);
    const rule = from === undefined ? undefined : (LAYERS as Record<string, LayerRule>)[from];
    if (rule === undefined) {
      out.push({ ...at, rule: `${imp.file} is in no folder of the layering table (add the folder to the table, or move the file)` });
      continue;
    }
    if (imp.unresolvable !== undefined) {
      // Native addons are loaded by a path computed from a URL; only the folder that loads them may.
      if (imp.unresolvable.startsWith('require') && rule.may.includes('native-bindings')) continue;
      out.push({ ...at, rule: `src/${from}: ${imp.unresolvable}: the checker cannot see what it loads (native addons are loaded in src/capture only; elsewhere import by a literal path)` });
      continue;
    }
    if (imp.target === undefined) continue; // an external package: not checked
    const to = layerOf(imp.target);
    if (to === from) continue; // a folder's own files may import each other
    if (to === undefined) {
      out.push({ ...at, rule: `src/${from} imports ${imp.target}, outside src/: src depends on nothing of the repository but native-bindings` });
      continue;
    }
    if (to === 'cli') {
      out.push({ ...at, rule: `src/${from} imports ${imp.target}: nothing imports src/cli` });
      continue;
    }
    if (to === 'native-bindings') {
      if (!rule.may.includes('native-bindings')) {
        out.push({ ...at, rule: `src/${from} loads ${imp.target}: native addons are loaded in src/capture only` });
      }
      continue;
    }
    const toName = `src/${to}`;
    if (!rule.may.includes(to as Layer)) {
      const allowed = rule.may.length === 0 ? 'nothing of ours' : rule.may.join(', ');
      out.push({ ...at, rule: `src/${from} imports ${toName} (${imp.target}): src/${from} may import ${allowed}` });
      continue;
    }
    if (rule.typesOnly?.includes(to as Layer) && !imp.typeOnly) {
      out.push({ ...at, rule: `src/${from} imports a value from ${toName} (${imp.target}): src/${from} may import types only from ${toName} (import type)` });
      continue;
    }
    const onlyFiles = rule.onlyFiles?.[to as Layer];
    if (onlyFiles !== undefined && !onlyFiles.includes(imp.target)) {
      out.push({ ...at, rule: `src/${from} imports ${imp.target}: of ${toName}, src/${from} may import ${onlyFiles.join(', ')} only` });
    }
  }
  return out;
}

/**
 * The import cycles between src/ files, each as the files of one strongly connected component in
 * the order of one cycle through them (first file repeated at the end). Types count: a cycle of
 * types is still two files that cannot be read one before the other.
 */
export function findCycles(imports: readonly ImportRef[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const imp of imports) {
    if (imp.target === undefined || !imp.target.startsWith('src/') || !imp.file.startsWith('src/')) continue;
    let set = edges.get(imp.file);
    if (set === undefined) edges.set(imp.file, (set = new Set()));
    set.add(imp.target);
  }
  // Tarjan's strongly connected components, iterative so a deep chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])])].sort();
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; it: Iterator<string> }> = [];
    const open = (node: string): void => {
      index.set(node, next);
      low.set(node, next++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, it: [...(edges.get(node) ?? [])].sort()[Symbol.iterator]() });
    };
    open(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.node);
        const selfLoop = edges.get(top.node)?.has(top.node) === true;
        if (comp.length > 1 || selfLoop) components.push(cycleThrough(comp, edges));
      }
    }
  }
  return components;
}

/** One cycle through a strongly connected component, by breadth-first search back to its first file. */
function cycleThrough(component: string[], edges: Map<string, Set<string>>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const w of [...(edges.get(node) ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, node);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The repository's root: this file is test/support/layering.ts. */
export const REPO_ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Every .ts/.mts file under src/, relative to the repository. */
export function sourceFiles(root: string = REPO_ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(m|c)?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(toRepo(root, full));
    }
  };
  walk(join(root, 'src'));
  return out;
}

function toRepo(root: string, full: string): string {
  return relative(root, full).split(sep).join('/');
}

/**
 * A relative specifier of `file` → the repository file it names (`./x.js` is `./x.ts` in source),
 * or undefined for a package (`node:fs`, `pino`): packages are not checked.
 */
export function resolveSpecifier(file: string, specifier: string, root: string = REPO_ROOT): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(file), specifier));
  const candidates = [joined, joined.replace(/\.js$/, '.ts'), joined.replace(/\.mjs$/, '.mts'), joined.replace(/\.cjs$/, '.cts')];
  for (const c of candidates) if (existsSync(join(root, c)) && statSync(join(root, c)).isFile()) return c;
  return joined; // a missing file still names its folder: the table judges it as written
}

/** Every import of one file: static, re-export, `import()` (values and types), `require`, and `new URL(…, import.meta.url)`. */
export function readImports(file: string, text: string, root: string = REPO_ROOT): ImportRef[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: ImportRef[] = [];
  const requireNames = new Set<string>(['require']);
  const lineOf = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const literal = (node: ts.Node | undefined): string | undefined =>
    node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
  const add = (node: ts.Node, specifier: string, typeOnly: boolean): void => {
    out.push({ file, line: lineOf(node), specifier, target: resolveSpecifier(file, specifier, root), typeOnly });
  };
  const isCreateRequireCall = (node: ts.Node): boolean =>
    ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'createRequire';
  const isImportMetaUrl = (node: ts.Node | undefined): boolean =>
    node !== undefined && ts.isPropertyAccessExpression(node) && node.name.text === 'url' &&
    ts.isMetaProperty(node.expression) && node.expression.keywordToken === ts.SyntaxKind.ImportKeyword;

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const spec = literal(node.moduleSpecifier)!;
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (
        clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node, spec, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      const spec = literal(node.moduleSpecifier)!;
      const clause = node.exportClause;
      const typeOnly = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) &&
        clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      add(node, spec, typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const spec = literal(node.moduleReference.expression);
      if (spec !== undefined) add(node, spec, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      const spec = ts.isLiteralTypeNode(arg) ? literal(arg.literal) : undefined;
      if (spec !== undefined) add(node, spec, true);
    } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined &&
      isCreateRequireCall(node.initializer)) {
      requireNames.add(node.name.text);
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = (ts.isIdentifier(node.expression) && requireNames.has(node.expression.text)) ||
        isCreateRequireCall(node.expression);
      if (isImport || isRequire) {
        const spec = literal(node.arguments[0]);
        if (spec !== undefined) add(node, spec, false);
        else {
          const what = isImport ? 'import()' : 'require()';
          out.push({
            file, line: lineOf(node), specifier: node.arguments[0]?.getText(sf) ?? '', target: undefined, typeOnly: false,
            unresolvable: `${what} of a computed path (${node.arguments[0]?.getText(sf) ?? ''})`,
          });
        }
      }
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL' &&
      isImportMetaUrl(node.arguments?.[1])) {
      // A file named by URL is loaded by whoever reads the URL (a native addon, a worker): the
      // reference is the import. Files outside src/ and native-bindings/ (package.json) are data.
      const spec = literal(node.arguments?.[0]);
      if (spec !== undefined) {
        const target = resolveSpecifier(file, spec.startsWith('.') ? spec : `./${spec}`, root)!;
        if (target.startsWith('src/') || target.startsWith('native-bindings/')) {
          out.push({ file, line: lineOf(node), specifier: spec, target, typeOnly: false });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The imports of every file under src/. */
export function readAllImports(root: string = REPO_ROOT): ImportRef[] {
  return sourceFiles(root).flatMap((f) => readImports(f, readFileSync(join(root, f), 'utf8'), root));
}

/** A cycle as `a → b ⇢ a`: ⇢ where the edge carries types only (no runtime import, still a cycle of reading). */
export function formatCycle(cycle: readonly string[], imports: readonly ImportRef[]): string {
  let out = cycle[0]!;
  for (let i = 1; i < cycle.length; i++) {
    const from = cycle[i - 1]!;
    const to = cycle[i]!;
    const typesOnly = imports.every((imp) => imp.file !== from || imp.target !== to || imp.typeOnly);
    out += `${typesOnly ? ' ⇢ ' : ' → '}${to}`;
  }
  return out;
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: ${v.rule}`;
}
