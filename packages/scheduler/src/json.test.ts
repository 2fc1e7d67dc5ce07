import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memberPath, parseJson } from './json.js';

describe('parseJson', () => {
  it('returns the value of valid JSON', () => {
    assert.deepEqual(parseJson('{"a":[1,"x",null]}'), { ok: true, value: { a: [1, 'x', null] } });
  });

  for (const [text, line, column, message] of [
    ['{"a": }', 1, 7, /unexpected character "}"/],
    ['[1,\n2,\n', 3, 1, /unexpected end of input/],
    ['{"a":1} x', 1, 9, /unexpected content after the JSON value/],
    ['["a\\q"]', 1, 5, /bad escape/],
    ['{a:1}', 1, 2, /expected a property name/],
    ['{"a":[1,{"b":[]} ]]', 1, 19, /expected ',' or '}'/],
    ['[{"a":1,}]', 1, 9, /expected a property name/],
  ] as const)
    it(`locates the error in ${JSON.stringify(text)}`, () => {
      const r = parseJson(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.problem.line, line);
      assert.equal(r.problem.column, column);
      assert.match(r.problem.message, message);
    });

  // Found by fuzzing: the scanner that locates the error recursed once per level and
  // threw a RangeError (an internal error) on malformed input nested deeper than the stack.
  it('locates the error in malformed JSON nested 200,000 levels deep', () => {
    const r = parseJson(`${'['.repeat(200_000)}1,}`);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.problem.offset, 200_002);
    assert.match(r.problem.message, /unexpected character "}"/);
  });
});

describe('memberPath', () => {
  // Found by fuzzing: `$.a b` or `$.` named no place in the document.
  it('quotes a member whose name is not a plain identifier', () => {
    assert.equal(memberPath('$', 'tests'), '$.tests');
    assert.equal(memberPath('$.segments[0]', 'a b'), '$.segments[0]["a b"]');
    assert.equal(memberPath('$', ''), '$[""]');
    assert.equal(memberPath('$', 'x"]'), '$["x\\"]"]');
  });
});
