// Locates the first syntax error in a JSON text. Node 20's JSON.parse does not always say where it
// failed ("Unexpected token '}', ... is not valid JSON"), and the issue asks for file:line:column, so
// after JSON.parse has refused a text this small scanner walks it again to find the spot. It runs
// only on the error path.

export interface JsonSyntaxProblem {
  /** 1-based line and column of the offending character (column in UTF-16 code units) */
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {}
}

export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;

  const unexpected = (expected: string): Stop =>
    new Stop(i, i >= text.length ? `unexpected end of input, expected ${expected}` : `unexpected ${JSON.stringify(text[i])}, expected ${expected}`);

  const space = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      i++;
    }
  };

  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'unexpected end of input inside a string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return; }
      if (c < 0x20) throw new Stop(i, 'control character inside a string (newlines must be written \\n)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          throw new Stop(i, 'bad escape in a string');
        }
        continue;
      }
      i++;
    }
  };

  const number = (): void => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '-' || m[0] === '') throw unexpected('a value');
    i += m[0].length;
  };

  const literal = (word: string): void => {
    if (text.startsWith(word, i)) { i += word.length; return; }
    throw unexpected('a value');
  };

  const scalar = (): void => {
    const c = text[i];
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    throw unexpected('a value');
  };

  const propertyName = (): void => {
    space();
    if (text[i] !== '"') throw unexpected('a property name in double quotes');
    string();
    space();
    if (text[i] !== ':') throw unexpected("':'");
    i++;
  };

  // Iterative, with the open containers on an explicit stack: a text of 200,000 '[' must get its
  // line and column, not a stack overflow.
  const OBJECT = 0x7b;
  const ARRAY = 0x5b;
  const open: number[] = [];
  const value = (): void => {
    let expectValue = true;
    for (;;) {
      if (expectValue) {
        space();
        const c = text.charCodeAt(i);
        if (c === OBJECT || c === ARRAY) {
          i++;
          space();
          if (text.charCodeAt(i) === c + 2) i++; // '}' is '{' + 2, ']' is '[' + 2: an empty container
          else {
            open.push(c);
            if (c === OBJECT) propertyName();
            continue;
          }
        } else {
          scalar();
        }
        expectValue = false;
      }
      if (open.length === 0) return;
      space();
      const container = open[open.length - 1]!;
      if (text[i] === ',') {
        i++;
        if (container === OBJECT) propertyName();
        expectValue = true;
      } else if (text.charCodeAt(i) === container + 2) {
        i++;
        open.pop();
      } else {
        throw unexpected(container === OBJECT ? "',' or '}'" : "',' or ']'");
      }
    }
  };

  try {
    value();
    space();
    if (i < text.length) throw new Stop(i, `unexpected ${JSON.stringify(text[i])} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { ...lineColumn(text, e.offset), problem: e.problem };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) { line++; lineStart = k + 1; }
  }
  return { line, column: offset - lineStart + 1 };
}
