// The layering table of CONVENTIONS.md, enforced: every import of every file in src/ (static,
// re-export, import() of values and of types, require, a native addon named by URL) is judged by the
// table in test/support/layering.ts, and no two src/ files import each other, even through others.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkLayering, findCycles, formatCycle, formatViolation, type ImportRef, LAYERS, readAllImports, readImports, REPO_ROOT,
} from './support/layering.js';

/** A made-up import of `file` on line 1: what a file of the repository would give. */
function imp(file: string, target: string | undefined, typeOnly = false): ImportRef {
  return { file, line: 1, specifier: target ?? 'pkg', target, typeOnly };
}

describe('the layering checker', () => {
  it('lets a folder import its own files, the folders of its row, and any package', () => {
    expect(checkLayering([
      imp('src/live/monitor.ts', 'src/live/inline-bridge.ts'),
      imp('src/live/monitor.ts', 'src/dataplane/dataplane.ts'),
      imp('src/cli/main.ts', 'src/fleet/agent.ts'),
      imp('src/model/types.ts', undefined),
      imp('src/conntrack/timeouts.ts', 'src/model/model-view.ts', true),
      imp('src/capture/afpacket.ts', 'src/packet/link-types.ts'),
      imp('src/capture/afpacket.ts', 'native-bindings/afpacket/build/Release/afpacket.node'),
    ])).toEqual([]);
  });

  it('names file, line and rule of each import against the table', () => {
    const found = checkLayering([
      { ...imp('src/fleet/etcd-api-attach.ts', 'src/cli/api-attach.ts'), line: 6 },
      imp('src/live/monitor.ts', 'src/replay/replay-run.ts'),
      imp('src/model/types.ts', 'src/packet/ipv4.ts'),
      imp('src/conntrack/timeouts.ts', 'src/model/model-view.ts'),
      imp('src/dataplane/verdict-summary.ts', 'src/observe/flow-log.ts'),
      imp('src/capture/capture-reader.ts', 'src/packet/decode.ts'),
      imp('src/conntrack/record-memory.ts', 'native-bindings/hugepages/build/Release/hugepages.node'),
      imp('src/api/server.ts', 'test/support/anything.ts'),
      imp('src/helpers/x.ts', 'src/model/types.ts'),
    ]).map(formatViolation);
    expect(found).toHaveLength(9);
    expect(found[0]).toBe('src/fleet/etcd-api-attach.ts:6: src/fleet imports src/cli/api-attach.ts: nothing imports src/cli');
    expect(found[1]).toMatch(/^src\/live\/monitor\.ts:1: src\/live imports src\/replay .*src\/live may import dataplane/);
    expect(found[2]).toMatch(/src\/model may import nothing of ours/);
    expect(found[3]).toMatch(/src\/conntrack may import types only from src\/model/);
    expect(found[4]).toMatch(/src\/dataplane may import types only from src\/observe/);
    expect(found[5]).toMatch(/of src\/packet, src\/capture may import src\/packet\/link-types\.ts only/);
    expect(found[6]).toMatch(/native addons are loaded in src\/capture only/);
    expect(found[7]).toMatch(/outside src\//);
    expect(found[8]).toMatch(/in no folder of the layering table/);
  });

  it('reads every kind of import, multi-line ones at the line they start, types apart from values', () => {
    const text = [
      "import { a,",                                        // 1
      "  b } from '../model/types.js';",                     // 2
      "import type { C } from '../observe/metrics.js';",     // 3
      "import { type D, type E } from '../observe/flow-log.js';", // 4
      "export { f } from '../packet/ipv4.js';",              // 5
      "export * from '../packet/tcp.js';",                   // 6
      "const g = await import('../replay/timeline.js');",    // 7
      "let h: typeof import('../cli/main.js');",             // 8
      "import { createRequire } from 'node:module';",        // 9
      "const req = createRequire(import.meta.url);",         // 10
      "const addon = new URL('../../native-bindings/x/build/Release/x.node', import.meta.url);", // 11
      "req(addon.pathname); req('cap'); req('./sibling.js');", // 12
      "import './side-effect.js';",                          // 13
    ].join('\n');
    const got = readImports('src/live/probe.ts', text).map((i) => [i.line, i.target, i.typeOnly, i.unresolvable !== undefined]);
    expect(got).toEqual([
      [1, 'src/model/types.ts', false, false],
      [3, 'src/observe/metrics.ts', true, false],
      [4, 'src/observe/flow-log.ts', true, false],
      [5, 'src/packet/ipv4.ts', false, false],
      [6, 'src/packet/tcp.ts', false, false],
      [7, 'src/replay/timeline.ts', false, false],
      [8, 'src/cli/main.ts', true, false],
      [9, undefined, false, false],
      [11, 'native-bindings/x/build/Release/x.node', false, false],
      [12, undefined, false, true],
      [12, undefined, false, false],
      [12, 'src/live/sibling.js', false, false],
      [13, 'src/live/side-effect.js', false, false],
    ]);
    // A computed require outside src/capture loads what the checker cannot see: against the table.
    expect(checkLayering(readImports('src/live/probe.ts', text)).map((v) => v.line)).toEqual([7, 8, 11, 12]);
  });

  it('finds a cycle through several files and reports it in order', () => {
    expect(findCycles([
      imp('src/a/one.ts', 'src/a/two.ts'),
      imp('src/a/two.ts', 'src/a/three.ts'),
      imp('src/a/three.ts', 'src/a/one.ts'),
      imp('src/a/three.ts', 'src/a/four.ts'),
      imp('src/a/four.ts', 'src/a/five.ts'),
    ])).toEqual([['src/a/one.ts', 'src/a/two.ts', 'src/a/three.ts', 'src/a/one.ts']]);
    expect(findCycles([imp('src/a/one.ts', 'src/a/two.ts'), imp('src/a/two.ts', undefined)])).toEqual([]);
    const typed = [imp('src/a/one.ts', 'src/a/two.ts'), imp('src/a/two.ts', 'src/a/one.ts', true)];
    expect(findCycles(typed).map((c) => formatCycle(c, typed))).toEqual(['src/a/one.ts → src/a/two.ts ⇢ src/a/one.ts']);
  });
});

describe('src/ keeps the layering table', () => {
  const imports = readAllImports();

  it('has a row of the table for every folder of src/', () => {
    const src = join(REPO_ROOT, 'src');
    const folders = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory()).sort();
    expect(folders.filter((f) => !(f in LAYERS))).toEqual([]);
    expect(imports.length).toBeGreaterThan(100); // the reader saw the tree, not an empty list
  });

  it('no import runs against the table', () => {
    expect(checkLayering(imports).map(formatViolation)).toEqual([]);
  });

  it('no import cycle between files of src/', () => {
    // ⇢ marks an edge of types only: still a cycle, two files neither of which reads first.
    expect(findCycles(imports).map((c) => formatCycle(c, imports))).toEqual([]);
  });
});
