import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../rng.js';
import { randomWorkload } from '../test-support/randomWorkload.js';
import { createPolicy, POLICIES } from './policies.js';
import { formatReport, prepare, runSimulation } from './report.js';
import { simulate, type SimulateOptions, type SimulatedTest } from './simulator.js';
import type { Workload } from './workload.js';

/** Message orders the property tests try: in order; delayed and crossing; and workers that release test by test. */
const DELIVERIES = [
  { name: 'in order', options: (): SimulateOptions => ({}) },
  { name: 'random delays', options: (seed: number): SimulateOptions => ({ jitter: { rng: mulberry32(seed * 7919), max: 0.05 } }) },
  {
    name: 'random delays, test-by-test releases',
    options: (seed: number): SimulateOptions => ({ jitter: { rng: mulberry32(seed * 7919), max: 0.05 }, releaseByTest: true }),
    batonOnly: true,
  },
];

describe('simulate (property tests over seeded random workloads)', () => {
  for (const policy of POLICIES)
    for (const delivery of DELIVERIES.filter((d) => policy === 'baton' || !d.batonOnly))
    it(`${policy}, ${delivery.name}: no test lost or run twice, no stall, segments never overlap, makespan >= lower bound`, () => {
      for (let seed = 1; seed <= 150; seed++) {
        const workload = randomWorkload(mulberry32(seed));
        const { context, bound, segments } = prepare(workload);
        const segmentOf = new Map<string, number>();
        segments.forEach((s, i) => s.units.forEach((u) => u.forEach((t) => segmentOf.set(t, i))));
        const runs: SimulatedTest[] = [];
        // simulate throws SimulationError unless every test settled exactly once.
        const where = `seed ${seed}`;
        const result = (() => {
          try {
            return simulate(workload, createPolicy(policy, context), { ...delivery.options(seed), onTestRun: (r) => runs.push(r) });
          } catch (e) {
            throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
          }
        })();
        assert.equal(result.finished + result.lost.length, workload.tests.length, where);
        assert.ok(result.makespan >= bound - 1e-9, `${where}: makespan ${result.makespan} < bound ${bound}`);
        const spans = segments.map(() => ({ start: Infinity, end: -Infinity }));
        for (const r of runs) {
          const span = spans[segmentOf.get(r.test) as number] as { start: number; end: number };
          span.start = Math.min(span.start, r.start);
          span.end = Math.max(span.end, r.end);
        }
        for (let i = 1; i < spans.length; i++)
          assert.ok((spans[i] as { start: number }).start >= (spans[i - 1] as { end: number }).end, `${where}: segment ${i} overlaps segment ${i - 1}`);
        // Concurrency: never more workers running a segment at once than it allows.
        segments.forEach((s, i) => {
          if (s.concurrency === undefined) return;
          const points = runs
            .filter((r) => segmentOf.get(r.test) === i)
            .flatMap((r) => [
              [r.start, 1],
              [r.end, -1],
            ])
            .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
          let running = 0;
          for (const [, d] of points) assert.ok((running += d as number) <= (s.concurrency as number), `${where}: segment ${i} ran wider than ${s.concurrency}`);
        });
      }
    });

  it('reports the lost test of a dying worker exactly once, for every policy', () => {
    const workload: Workload = {
      tests: ['a', 'b', 'c', 'd'].map((id) => ({ id, duration: 10, estimate: 10 })),
      workers: [
        { id: 'w1', speed: 1, join: 0 },
        { id: 'w2', speed: 1, join: 0, die: 5 },
      ],
      latency: 0.01,
    };
    for (const policy of POLICIES) {
      const { context } = prepare(workload);
      const r = simulate(workload, createPolicy(policy, context));
      assert.equal(r.lost.length, 1, policy);
      assert.equal(r.finished, 3, policy);
    }
  });

  it('runs every policy and formats a report', () => {
    const report = runSimulation({ tests: [{ id: 'a', duration: 2 }, { id: 'b', duration: 1 }], workers: [{ id: 'w1', speed: 1, join: 0 }], latency: 0 }, { workers: 2 });
    assert.equal(report.workers, 2);
    assert.equal(report.lowerBound, 2);
    assert.deepEqual(
      report.results.map((r) => [r.policy, r.makespan]),
      POLICIES.map((p) => [p, 2]),
    );
    assert.match(formatReport(report), /lower bound: 2\.000 s\n\npolicy +makespan s +\/ bound/);
  });
});
