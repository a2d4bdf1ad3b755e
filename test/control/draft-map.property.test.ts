// A draft's maps are copied on write (control/draft-map.ts): under any sequence of sets, deletes,
// clears and drafts of drafts, a DraftMap answers as `new Map(source)` changed the same way would
// (entries in the same order, size, get, has), and never changes the map it was drafted from.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DraftMap } from '../../src/control/draft-map.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'clear' } | { kind: 'draft' };
const KEYS = 120;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(KEYS), value: fc.integer() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(KEYS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('draft' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

const view = (m: ReadonlyMap<number, number>) => ({
  entries: [...m],
  keys: [...m.keys()],
  values: [...m.values()],
  size: m.size,
  got: Array.from({ length: KEYS + 2 }, (_, k) => [m.has(k), m.get(k)]),
});

describe('a draft map answers as a copy of its source changed the same way', () => {
  it('for random sets, deletes, clears and drafts of drafts, leaving every earlier map as it was', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 110 }), fc.array(opArb, { maxLength: 300 }), (initial, ops) => {
        const source = new Map(Array.from({ length: initial }, (_, k) => [k, -k] as [number, number]));
        let draft = DraftMap.of(source);
        let reference = new Map(source);
        // every map drafted from, with what it held then: drafting on must never change them
        const earlier: [ReadonlyMap<number, number>, ReturnType<typeof view>][] = [[source, view(source)]];
        ops.forEach((op, step) => {
          if (op.kind === 'set') {
            expect(draft.set(op.key, op.value)).toBe(draft);
            reference.set(op.key, op.value);
          } else if (op.kind === 'delete') {
            expect({ step, deleted: draft.delete(op.key) }).toEqual({ step, deleted: reference.delete(op.key) });
          } else if (op.kind === 'clear') {
            draft.clear();
            reference.clear();
          } else {
            earlier.push([draft, view(draft)]);
            draft = DraftMap.of(draft);
            reference = new Map(reference);
          }
          expect({ step, ...view(draft) }).toEqual({ step, ...view(reference) });
        });
        for (const [m, was] of earlier) expect(view(m)).toEqual(was);
        const seen: [number, number][] = [];
        draft.forEach((v, k) => seen.push([k, v]));
        expect(seen).toEqual([...reference]);
      }),
      { numRuns: 300 },
    );
  });
});
