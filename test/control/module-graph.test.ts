// The control folder's modules import one another without cycles (type-only imports count too):
// the actions in src/control/actions/ see the service only through ActionContext, never through
// service.ts, so no helper has to be reached into from another module.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../src/control');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^;]*?from '(\.[^']+)'/g)]
    .map((m) => normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts'))))
    .filter((p) => p.startsWith(root));
}

describe('src/control module graph', () => {
  const files = sources(root);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 'open') cycles.push([...path.slice(path.indexOf(g)), f, g].map((x) => relative(root, x)).join(' → '));
        else if (state.get(g) === undefined) visit(g, [...path, f]);
      }
      state.set(f, 'done');
    };
    for (const f of files) if (state.get(f) === undefined) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('keeps no @internal members for other modules to reach into', () => {
    expect(files.filter((f) => readFileSync(f, 'utf8').includes('@internal')).map((f) => relative(root, f))).toEqual([]);
  });
});
