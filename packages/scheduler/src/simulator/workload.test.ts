import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { ValidationError, type WorkloadError } from '../errors.js';
import { parseWorkload } from './workload.js';

describe('parseWorkload', () => {
  it('reads tests, workers (a count or a list), latency, plan and groups', () => {
    const w = parseWorkload(JSON.stringify({ tests: [{ id: 'a', duration: 1, estimate: 2 }], workers: 2, latency: 0.01, plan: [['a']], groupRegex: 'x' }));
    assert.deepEqual(w.workers, [
      { id: 'w1', speed: 1, join: 0 },
      { id: 'w2', speed: 1, join: 0 },
    ]);
    assert.equal(w.plan?.segments[0]?.tests[0], 'a');
    const v = parseWorkload('{"tests":[],"workers":[{"speed":0.5,"join":3,"leave":9}]}');
    assert.deepEqual(v.workers, [{ id: 'w1', speed: 0.5, speedKnown: undefined, join: 3, leave: 9, die: undefined }]);
  });

  it('reports every problem, its own and its plan’s, with JSON paths', () => {
    try {
      parseWorkload(
        JSON.stringify({ tests: [{ id: 'a', duration: -1 }, { id: 'a', duration: 1 }], workers: [{ speed: 0 }], plan: { version: 1, segments: [{ name: 'x', tests: [] }] } }),
        'w.json',
      );
      assert.fail('expected a ValidationError');
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.code, 'BATON_WORKLOAD_INVALID');
      assert.deepEqual(
        e.errors.map((x) => [x.code, x.jsonPath]),
        [
          ['BATON_WORKLOAD_BAD_TYPE', '$.tests[0].duration'],
          ['BATON_WORKLOAD_DUPLICATE_TEST', '$.tests[1].id'],
          ['BATON_WORKLOAD_BAD_TYPE', '$.workers[0].speed'],
          ['BATON_PLAN_EMPTY_SEGMENT', '$.plan.segments[0].tests'],
        ],
      );
      assert.match(e.message, /w\.json: \$\.tests\[0\]\.duration: expected "duration" to be a number of seconds/);
    }
  });

  it('gives the line and column of malformed JSON', () => {
    assert.throws(
      () => parseWorkload('{\n "tests": [,]\n}'),
      (e: unknown) => e instanceof ValidationError && e.errors[0]?.code === 'BATON_WORKLOAD_BAD_JSON' && e.errors[0].line === 2 && e.errors[0].column === 12,
    );
  });
});

// Found by fuzzing: a count was expanded into that many workers before any check.
test('a workload asking for billions of workers is refused at once, not expanded', () => {
  assert.throws(() => parseWorkload('{"tests":[],"workers":4294967296}'), (e: ValidationError<WorkloadError>) => {
    assert.equal(e.code, 'BATON_WORKLOAD_INVALID');
    assert.match(e.errors[0]!.message, /\$\.workers: expected at most 10000 workers, found 4294967296/);
    return true;
  });
});

// Found by fuzzing: two workers with one id were accepted, and the simulator then lost their tests.
test('two workers with one id are refused, naming the second', () => {
  assert.throws(() => parseWorkload('{"tests":[],"workers":[{"id":"w1"},{"id":"w1","speed":2}]}'), (e: ValidationError<WorkloadError>) => {
    assert.deepEqual(e.errors.map((p) => [p.code, p.jsonPath]), [['BATON_WORKLOAD_DUPLICATE_WORKER', '$.workers[1].id']]);
    return true;
  });
});
