import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJson } from './json.js';

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
  ] as const)
    it(`locates the error in ${JSON.stringify(text)}`, () => {
      const r = parseJson(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.problem.line, line);
      assert.equal(r.problem.column, column);
      assert.match(r.problem.message, message);
    });
});
