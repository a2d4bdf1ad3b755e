// Every export of src/ is used by another file (src/, test/, scripts/, bench/, bin/): an export
// nothing imports is either dead code or a name that should not be public. scripts/dead-exports.ts
// finds them (`npx vite-node scripts/dead-exports.ts` prints the same list).
import { describe, expect, it } from 'vitest';
import { type DeadExport, findDeadExports, formatDeadExport } from '../scripts/dead-exports.js';

describe('exports of src/', { timeout: 240_000 }, () => {
  let dead: DeadExport[] | undefined;
  const found = (): DeadExport[] => (dead ??= findDeadExports());

  it('none is unused everywhere, its own file included', () => {
    expect(found().filter((d) => d.kind === 'unused').map(formatDeadExport)).toEqual([]);
  });

  it('none is used only in its own file', () => {
    expect(found().filter((d) => d.kind === 'file-only').map(formatDeadExport)).toEqual([]);
  });
});
