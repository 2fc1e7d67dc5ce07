/** A JSON syntax error with its position, which JSON.parse does not report portably. */
export interface JsonSyntaxProblem {
  readonly message: string;
  /** 0-based UTF-16 offset. */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem };

/**
 * Parses JSON, and on failure says where: line, column and offset. JSON.parse
 * does the work; only on failure does a small scanner walk the text to find
 * the first offending character, because V8's messages differ between
 * versions and do not always carry a position.
 */
export function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: findSyntaxError(text) };
  }
}

function position(text: string, offset: number, message: string): JsonSyntaxProblem {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { message, offset, line, column: offset - lineStart + 1 };
}

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

function findSyntaxError(text: string): JsonSyntaxProblem {
  let i = 0;
  const fail = (message: string): never => {
    throw new Stop(i, message);
  };
  const describe = (): string => (i >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[i])}`);
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(describe());
  };
  const string = (): void => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) fail('control character in string');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail('bad \\u escape in string');
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          fail('bad escape in string');
        }
      } else i++;
    }
    fail('unterminated string');
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(describe());
    else i += m[0].length;
  };
  // Iterative, with the open containers on a stack: a document nested deeper than the
  // call stack (JSON.parse takes 200,000 levels) must still get its position, not a RangeError.
  const open: ('{' | '[')[] = [];
  const value = (): void => {
    for (;;) {
      ws();
      const c = text[i];
      if (c === '{') {
        i++;
        ws();
        if (text[i] !== '}') {
          open.push('{');
          member();
          continue;
        }
        i++;
      } else if (c === '[') {
        i++;
        ws();
        if (text[i] !== ']') {
          open.push('[');
          continue;
        }
        i++;
      } else if (c === '"') string();
      else if (c === 't') literal('true');
      else if (c === 'f') literal('false');
      else if (c === 'n') literal('null');
      else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
      else fail(describe());
      // A value ended: close the containers it completes, then go on to the next member.
      for (;;) {
        const inside = open.at(-1);
        if (inside === undefined) return;
        ws();
        if (text[i] === ',') {
          i++;
          if (inside === '{') member();
          break;
        }
        const closer = inside === '{' ? '}' : ']';
        if (text[i] !== closer) fail(`expected ',' or '${closer}', ${describe()}`);
        i++;
        open.pop();
      }
    }
  };
  /** A property name and its colon; the value follows. */
  const member = (): void => {
    ws();
    if (text[i] !== '"') fail(`expected a property name, ${describe()}`);
    string();
    ws();
    if (text[i] !== ':') fail(`expected ':', ${describe()}`);
    i++;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected content after the JSON value: ${JSON.stringify(text[i])}`);
    // JSON.parse refused what this scanner accepts: report the whole input.
    return position(text, 0, 'invalid JSON');
  } catch (e) {
    if (e instanceof Stop) return position(text, e.offset, e.message);
    throw e;
  }
}

/**
 * The JSONPath of member `key` of the value at `base`: `$.tests` for a plain name,
 * `$["a b"]` for any other, so that a path names one place whatever the keys hold.
 */
export function memberPath(base: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}
