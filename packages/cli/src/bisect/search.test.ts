import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@baton/scheduler';
import { DETERMINISTIC } from './confidence.js';
import { ALONE, BisectSearch, candidateKey, membersOf, type Candidate } from './search.js';

/** How the simulated test behaves: its chance of failing after the given prefix positions. */
type Suite = (members: ReadonlySet<number>) => number;

/** A test that fails at `rate` when every one of `culprits` ran before it, and never otherwise. */
const pollutedBy = (rate: number, ...culprits: number[]): Suite => (m) => (culprits.every((c) => m.has(c)) ? rate : 0);

/**
 * Drives a search as the CLI does, `slots` executions at a time, finishing the oldest
 * first, each failing as `suite` says with a seeded coin. Returns what it concluded and
 * how many executions that took.
 */
function bisect(search: BisectSearch, suite: Suite, seed: number, slots: number, limit = 20_000) {
  const coin = mulberry32(seed);
  const running: Candidate[] = [];
  let executions = 0;
  while (search.outcome === undefined && executions < limit) {
    for (let c: Candidate | undefined; running.length < slots && (c = search.next()) !== undefined; ) running.push(c);
    const done = running.shift();
    assert.ok(done !== undefined, 'the search always has something to run until it concludes');
    search.record(done, coin.next() < suite(new Set(done.members)));
    executions++;
  }
  return { outcome: search.outcome, executions };
}

describe('the bisection search', () => {
  it('keys candidates by runs of positions', () => {
    assert.equal(candidateKey([]), ALONE);
    assert.equal(candidateKey([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
    for (const members of [[], [3], [0, 1, 2, 5, 7, 8], Array.from({ length: 300 }, (_, i) => i * 2)]) assert.deepEqual(membersOf(candidateKey(members)), members);
  });

  it('names the one test of 300 after which the test fails one time in ten, one slot or four', () => {
    for (const slots of [1, 4])
      for (const seed of [1, 2, 3]) {
        const { outcome, executions } = bisect(new BisectSearch(300, 0.99), pollutedBy(0.1, 137), seed, slots);
        assert.deepEqual(outcome, { kind: 'culprits', culprits: [137] }, `seed ${seed}, ${slots} slots`);
        // A serial search that repeated each half until sure would need hundreds per step.
        assert.ok(executions < 1500, `${executions} executions`);
      }
  });

  it('names it among 20,000 as well, in about as many steps again as halvings', () => {
    const { outcome, executions } = bisect(new BisectSearch(20_000, 0.99), pollutedBy(0.1, 12_345), 3, 4);
    assert.deepEqual(outcome, { kind: 'culprits', culprits: [12_345] });
    assert.ok(executions < 3000, `${executions} executions`);
  });

  it('says the test fails on its own when it does, whatever the tests before it', () => {
    const suite: Suite = (m) => (m.has(40) ? 0.5 : 0.2);
    for (const seed of [1, 2, 3]) assert.deepEqual(bisect(new BisectSearch(300, 0.99), suite, seed, 2).outcome, { kind: 'alone' });
  });

  it('finds two tests that make it fail only together, each needed', () => {
    const { outcome } = bisect(new BisectSearch(64, 0.99), pollutedBy(0.3, 5, 50), 7, 2);
    assert.deepEqual(outcome, { kind: 'culprits', culprits: [5, 50] });
  });

  it('says when the tests before it do not make it fail in a fresh process, after as many passes as the confidence needs', () => {
    const search = new BisectSearch(100, 0.99);
    const { outcome } = bisect(search, () => 0, 1, 2);
    assert.deepEqual(outcome, { kind: 'not-reproduced' });
    // With no failure seen at all, a uniform prior: 99 passes of the whole prefix for 0.99.
    assert.deepEqual(search.evidence(candidateKey(Array.from({ length: 100 }, (_, i) => i))), { runs: 99, failures: 0 });
  });

  it('with nothing before it, only runs it alone', () => {
    const search = new BisectSearch(0, 0.9);
    assert.deepEqual(bisect(search, () => 1, 1, 2).outcome, { kind: 'alone' });
    const never = new BisectSearch(0, 0.9);
    assert.deepEqual(bisect(never, () => 0, 1, 2), { outcome: { kind: 'not-reproduced' }, executions: 9 });
  });

  it('hands out no more executions of a candidate than can still settle it', () => {
    const search = new BisectSearch(10, 0.9);
    const handed: Candidate[] = [];
    for (let c = search.next(); c !== undefined; c = search.next()) handed.push(c);
    // The whole prefix and the test alone, 9 each (a uniform prior clears in 9 at 0.9).
    assert.equal(handed.length, 18);
    assert.deepEqual(new Set(handed.map((c) => c.key)), new Set(['0-9', ALONE]));
    search.abandon(handed[0]!);
    assert.equal(search.next()?.key, handed[0]!.key);
  });

  it('deterministic, clears a candidate after one pass: the smallest set, in few executions, for failures that always happen', () => {
    const { outcome, executions } = bisect(new BisectSearch(300, DETERMINISTIC), pollutedBy(1, 137), 1, 1);
    assert.deepEqual(outcome, { kind: 'culprits', culprits: [137] });
    assert.ok(executions < 40, `${executions} executions: about two a halving`);
    assert.deepEqual(bisect(new BisectSearch(64, DETERMINISTIC), pollutedBy(1, 5, 50), 1, 2).outcome, { kind: 'culprits', culprits: [5, 50] });
    assert.deepEqual(bisect(new BisectSearch(64, DETERMINISTIC), () => 1, 1, 2).outcome, { kind: 'alone' });
    assert.deepEqual(bisect(new BisectSearch(64, DETERMINISTIC), () => 0, 1, 2), { outcome: { kind: 'not-reproduced' }, executions: 1 });
  });

  it('resumes from its state and evidence where it stopped', () => {
    const suite = pollutedBy(0.1, 222);
    const first = new BisectSearch(300, 0.99);
    // What the repository keeps: each execution's evidence, by candidate.
    const stored = new Map<string, { runs: number; failures: number }>();
    const coin = mulberry32(5);
    for (let i = 0; i < 150; i++) {
      const c = first.next()!;
      const failed = coin.next() < suite(new Set(c.members));
      first.record(c, failed);
      const e = stored.get(c.key) ?? { runs: 0, failures: 0 };
      stored.set(c.key, { runs: e.runs + 1, failures: e.failures + (failed ? 1 : 0) });
    }
    assert.equal(first.outcome, undefined);
    assert.ok(membersOf(first.state.suspects).length < 300, 'it got somewhere');
    const resumed = new BisectSearch(300, 0.99, { state: first.state, evidence: stored });
    assert.deepEqual(resumed.state, first.state);
    assert.deepEqual(resumed.rate, first.rate);
    assert.deepEqual(bisect(resumed, suite, 6, 2).outcome, { kind: 'culprits', culprits: [222] });
  });
});
