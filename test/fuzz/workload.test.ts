// The simulator's workload reader under seeded fuzzing: valid workloads mutated
// (structure, text, numbers at their edges) and random JSON. It accepts a workload that
// holds together, or refuses with BATON_WORKLOAD_INVALID listing problems that each point
// at a real place in the input; and it never expands a count into unbounded memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WORKERS, parseWorkload, type Workload } from '@baton/scheduler/simulator';
import { assertLocatedRefusal, fuzzJsonReader, type Outcome } from '../utils/fuzz.js';

const SEEDS: unknown[] = [
  {
    tests: [{ id: 'pkg.mod.Class.test_a', duration: 1.5, estimate: 1.2 }, { id: 'pkg.mod.Class.test_b', duration: 0 }],
    workers: [{ id: 'w1', speed: 1, join: 0, leave: 300, die: 120, speedKnown: false }, { speed: 2 }],
    latency: 0.002,
    plan: { version: 1, segments: [{ name: 'all', tests: ['pkg.mod.Class.test_a', 'pkg.mod.Class.test_b'] }] },
    unnamed: 'refuse',
    groupRegex: '([^\\.]*\\.)*',
  },
  { tests: [{ id: 'a', duration: 1 }, { id: 'b', duration: 2, estimate: 3 }], workers: 4 },
  { tests: [], workers: [{ join: 5 }], plan: [['x']], unnamed: 'append' },
];
const TEXTS = SEEDS.map((s) => JSON.stringify(s, null, 2));
const FINITE_AT_LEAST_0 = (v: number | undefined): boolean => v === undefined || (Number.isFinite(v) && v >= 0);

function checkWorkloadText(text: string): Outcome {
  let workload: Workload;
  try {
    workload = parseWorkload(text, 'w.json');
  } catch (error) {
    assertLocatedRefusal(error, text, { code: 'BATON_WORKLOAD_INVALID', file: 'w.json', codes: /^BATON_(WORKLOAD|PLAN)_[A-Z_]+$/ });
    return 'refused';
  }
  const ids = new Set<string>();
  for (const t of workload.tests) {
    assert.ok(t.id.length > 0 && !ids.has(t.id), `test id ${t.id}`);
    ids.add(t.id);
    assert.ok(FINITE_AT_LEAST_0(t.duration) && FINITE_AT_LEAST_0(t.estimate));
  }
  assert.ok(workload.workers.length >= 1 && workload.workers.length <= MAX_WORKERS, `${workload.workers.length} workers`);
  const workers = new Set<string>();
  for (const w of workload.workers) {
    assert.ok(!workers.has(w.id), `worker ${w.id} twice`);
    workers.add(w.id);
    assert.ok(Number.isFinite(w.speed) && w.speed > 0);
    assert.ok(FINITE_AT_LEAST_0(w.join) && FINITE_AT_LEAST_0(w.leave) && FINITE_AT_LEAST_0(w.die));
  }
  assert.ok(FINITE_AT_LEAST_0(workload.latency));
  if (workload.groupRegex !== undefined) new RegExp(workload.groupRegex);
  return 'accepted';
}

test('the workload reader accepts sound workloads and refuses the rest with a located error, over seeded random and mutated workloads', (t) => {
  fuzzJsonReader(t, { seed: 20260302, seeds: SEEDS, texts: TEXTS, check: checkWorkloadText });
});
