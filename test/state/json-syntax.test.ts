import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, lineColumn } from '../../src/state/json-syntax.js';

describe('the JSON error locator agrees with JSON.parse', () => {
  it('finds nothing wrong in any text JSON.parse accepts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, 4), (v, indent) => {
        expect(findJsonSyntaxError(JSON.stringify(v, null, indent))).toBeUndefined();
      }),
    );
  });

  it('finds a fault in every text JSON.parse refuses', () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]":,0-9a-z.eE+\-\\]{0,30}$/);
    fc.assert(
      fc.property(jsonish, (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(findJsonSyntaxError(text) === undefined).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('nesting as deep as the text goes', () => {
  it('locates the end of 200,000 unclosed brackets instead of overflowing the stack', () => {
    expect(findJsonSyntaxError('['.repeat(200_000))).toEqual({ line: 1, column: 200_001, problem: 'unexpected end of input, expected a value' });
    expect(findJsonSyntaxError(`${'{"a":'.repeat(100_000)}1${'}'.repeat(99_999)}]`)).toEqual({ line: 1, column: 600_001, problem: "unexpected \"]\", expected ',' or '}'" });
  });

  it('finds nothing wrong in 200,000 levels JSON.parse accepts', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(() => JSON.parse(deep)).not.toThrow();
    expect(findJsonSyntaxError(deep)).toBeUndefined();
  });
});

describe('positions count lines and columns from 1', () => {
  it('counts newlines before the offset', () => {
    expect(lineColumn('ab\ncd\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab\ncd\nef', 8)).toEqual({ line: 3, column: 3 });
  });
});
