// The plan reader under seeded fuzzing: valid plans mutated (structure, text, numbers at
// their edges) and random JSON. It accepts a plan that holds together, or refuses with
// BATON_PLAN_INVALID listing problems that each point at a real place in the input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlan, type Plan } from '@baton/scheduler';
import { assertLocatedRefusal, fuzzJsonReader, type Outcome } from '../utils/fuzz.js';

const CODES = /^BATON_PLAN_(BAD_JSON|BAD_TYPE|BAD_VERSION|EMPTY_SEGMENT|DUPLICATE_TEST)$/;

const SEEDS: unknown[] = [
  { version: 1, segments: [{ name: 'api', tests: ['pkg.test_a.T.test_1', 'pkg.test_a.T.test_2'] }, { name: 'serial', tests: ['pkg.test_b.T.test_1'], concurrency: 1 }] },
  { version: 1, segments: [{ tests: ['a'] }, { name: 'x', tests: ['b', 'c', 'd'], concurrency: 3 }, { name: 'alone', tests: ['e'] }] },
  [['a', 'b'], ['c']],
  [['pkg.mod.Class.test_é', 'pkg.mod.Class.test_🙂']],
  { version: 1, segments: [] },
];
const TEXTS = SEEDS.map((s) => JSON.stringify(s, null, 2));

/** The properties of one plan text; returns how the reader answered. */
function checkPlanText(text: string): Outcome {
  let plan: Plan;
  try {
    plan = parsePlan(text, { file: 'plan.json' });
  } catch (error) {
    assertLocatedRefusal(error, text, { code: 'BATON_PLAN_INVALID', file: 'plan.json', codes: CODES });
    return 'refused';
  }
  // Accepted: it must hold together.
  const seen = new Set<string>();
  for (const segment of plan.segments) {
    assert.ok(segment.name.length > 0);
    assert.ok(segment.tests.length > 0, 'no empty segment');
    assert.ok(segment.concurrency === undefined || (Number.isInteger(segment.concurrency) && segment.concurrency >= 1), `concurrency ${segment.concurrency}`);
    for (const t of segment.tests) {
      assert.ok(typeof t === 'string' && t.length > 0);
      assert.ok(!seen.has(t), `test ${t} twice`);
      seen.add(t);
    }
  }
  return 'accepted';
}

test('the plan reader accepts sound plans and refuses the rest with a located error, over seeded random and mutated plans', (t) => {
  fuzzJsonReader(t, { seed: 20260301, seeds: SEEDS, texts: TEXTS, check: checkPlanText });
});
