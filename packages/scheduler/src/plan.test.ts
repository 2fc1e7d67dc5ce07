import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanError, ValidationError } from './errors.js';
import { parsePlan, resolvePlan } from './plan.js';

function refused(fn: () => unknown): readonly PlanError[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.code, 'BATON_PLAN_INVALID');
    return e.errors as readonly PlanError[];
  }
  assert.fail('expected a ValidationError');
}

describe('parsePlan', () => {
  it('reads the object form with names and concurrency', () => {
    const plan = parsePlan('{"version":1,"segments":[{"name":"api","tests":["a","b"]},{"name":"serial","tests":["c"],"concurrency":1}]}');
    assert.deepEqual(
      plan.segments.map((s) => [s.name, s.tests, s.concurrency]),
      [
        ['api', ['a', 'b'], undefined],
        ['serial', ['c'], 1],
      ],
    );
  });

  it('reads the bare list-of-lists form, naming segments by position', () => {
    const plan = parsePlan('[["a","b"],["c"]]');
    assert.deepEqual(
      plan.segments.map((s) => [s.name, s.tests]),
      [
        ['segment 1', ['a', 'b']],
        ['segment 2', ['c']],
      ],
    );
  });

  // Found by fuzzing: a property named "" or "a b" was reported at `$.` or `$.a b`.
  it('names an unknown property of any spelling by a JSON path that leads to it', () => {
    const errors = refused(() => parsePlan('{"version":1,"segments":[{"tests":["a"],"a b":1}],"":2}'));
    assert.deepEqual(errors.map((e) => e.jsonPath).sort(), ['$.segments[0]["a b"]', '$[""]']);
    assert.match(errors.find((e) => e.jsonPath === '$[""]')!.message, /\$\[""\]: unknown property ""/);
  });

  it('locates malformed JSON nested deeper than the call stack', () => {
    const errors = refused(() => parsePlan(`${'['.repeat(100_000)}"a"}`));
    assert.equal(errors[0]!.code, 'BATON_PLAN_BAD_JSON');
    assert.equal(errors[0]!.offset, 100_003);
  });

  it('reports malformed JSON with line, column and offset', () => {
    const [e] = refused(() => parsePlan('{\n  "version": 1,\n  "segments": [["a",]]\n}', { file: 'plan.json' }));
    assert.ok(e);
    assert.equal(e.code, 'BATON_PLAN_BAD_JSON');
    assert.equal(e.line, 3);
    assert.equal(e.column, 21);
    assert.equal(e.offset, 38);
    assert.equal(e.file, 'plan.json');
    assert.match(e.message, /^plan\.json: line 3 column 21: malformed JSON: unexpected character "]"/);
  });

  it('reports every problem with its code, JSON path and test id, not just the first', () => {
    const errors = refused(() =>
      parsePlan(
        JSON.stringify({
          version: 1,
          segments: [
            { name: 'a', tests: ['x', 'y'] },
            { name: 'b', tests: [] },
            { name: 'c', tests: ['z', 'x', 7], concurrency: 0 },
          ],
        }),
      ),
    );
    assert.deepEqual(
      errors.map((e) => [e.code, e.jsonPath, e.testId]),
      [
        ['BATON_PLAN_EMPTY_SEGMENT', '$.segments[1].tests', undefined],
        ['BATON_PLAN_BAD_TYPE', '$.segments[2].concurrency', undefined],
        ['BATON_PLAN_DUPLICATE_TEST', '$.segments[2].tests[1]', 'x'],
        ['BATON_PLAN_BAD_TYPE', '$.segments[2].tests[2]', undefined],
      ],
    );
    const dup = errors[2] as PlanError;
    assert.equal(dup.message, '$.segments[2].tests[1]: test "x" is already named at $.segments[0].tests[0]; a test may appear once in a plan');
  });

  it('refuses a wrong version, unknown properties and non-plans', () => {
    assert.deepEqual(
      refused(() => parsePlan('{"version":2,"segments":[],"segmnts":[]}')).map((e) => [e.code, e.jsonPath]),
      [
        ['BATON_PLAN_BAD_VERSION', '$.version'],
        ['BATON_PLAN_BAD_TYPE', '$.segmnts'],
      ],
    );
    assert.deepEqual(
      refused(() => parsePlan('"a"')).map((e) => [e.code, e.jsonPath]),
      [['BATON_PLAN_BAD_TYPE', '$']],
    );
  });
});

describe('resolvePlan', () => {
  const plan = parsePlan('{"version":1,"segments":[{"name":"p","tests":["m.A.t1","m.A.t2","m.B.t1"]},{"name":"alone","tests":["m.C.t1"]}]}');

  it('without a plan puts every selected test in one segment', () => {
    assert.deepEqual(resolvePlan(undefined, ['a', 'b']), [{ name: 'all', units: [['a'], ['b']] }]);
  });

  it('groups units within segments by the group regex', () => {
    const segments = resolvePlan(plan, ['m.A.t1', 'm.A.t2', 'm.B.t1', 'm.C.t1'], { groupRegex: '([^\\.]*\\.)*' });
    assert.deepEqual(
      segments.map((s) => s.units),
      [[['m.A.t1', 'm.A.t2'], ['m.B.t1']], [['m.C.t1']]],
    );
  });

  it('refuses selected tests the plan does not name, listing them, unless told to append them', () => {
    const [e] = refused(() => resolvePlan(plan, ['m.A.t1', 'm.A.t2', 'm.B.t1', 'm.C.t1', 'm.D.t1', 'm.D.t2']));
    assert.ok(e);
    assert.equal(e.code, 'BATON_PLAN_UNNAMED_TESTS');
    assert.deepEqual(e.tests, ['m.D.t1', 'm.D.t2']);
    assert.match(e.message, /2 selected tests are not in the plan: m\.D\.t1, m\.D\.t2/);
    const appended = resolvePlan(plan, ['m.A.t1', 'm.A.t2', 'm.B.t1', 'm.C.t1', 'm.D.t1'], { unnamed: 'append' });
    assert.deepEqual(appended.at(-1), { name: 'unnamed', units: [['m.D.t1']] });
  });

  it('refuses tests that do not exist, and drops tests that exist but are not selected', () => {
    const [e] = refused(() => resolvePlan(plan, ['m.A.t1'], { known: ['m.A.t1', 'm.A.t2', 'm.B.t1'] }));
    assert.ok(e);
    assert.equal(e.code, 'BATON_PLAN_UNKNOWN_TEST');
    assert.equal(e.jsonPath, '$.segments[1].tests[0]');
    assert.equal(e.testId, 'm.C.t1');
    const segments = resolvePlan(plan, ['m.A.t1'], { known: ['m.A.t1', 'm.A.t2', 'm.B.t1', 'm.C.t1'] });
    assert.deepEqual(segments, [{ name: 'p', concurrency: undefined, units: [['m.A.t1']] }]);
  });

  it('gives bare-form paths for unknown tests', () => {
    const [e] = refused(() => resolvePlan(parsePlan('[["a"],["b","zz"]]'), ['a', 'b']));
    assert.equal(e?.jsonPath, '$[1][1]');
  });
});
