import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ESTIMATE_SECONDS, Estimator, MIN_ESTIMATE_SECONDS } from './estimates.js';

describe('Estimator', () => {
  const known = new Map([
    ['p.m.A.t1', 1],
    ['p.m.A.t2', 3],
    ['p.m.A.t3', 50],
    ['p.m.B.t1', 10],
    ['p.n.C.t1', 100],
  ]);

  it('uses history when there is some', () => {
    const e = new Estimator(known);
    assert.equal(e.estimate('p.m.A.t1'), 1);
    assert.equal(e.sourceOf('p.m.A.t1'), 'history');
  });

  it('estimates a new test from the median of its class, else module, else package', () => {
    const e = new Estimator(known);
    assert.equal(e.estimate('p.m.A.t9'), 3);
    assert.equal(e.estimate('p.m.Z.t1'), 6.5);
    assert.equal(e.estimate('p.q.Z.t1'), 10);
    assert.equal(e.sourceOf('p.q.Z.t1'), 'neighbours');
  });

  it('falls back to the suite median, then a default, never zero', () => {
    assert.equal(new Estimator(known).estimate('other.X.t'), 10);
    assert.equal(new Estimator(known).sourceOf('other.X.t'), 'suite');
    assert.equal(new Estimator().estimate('x'), DEFAULT_ESTIMATE_SECONDS);
    assert.equal(new Estimator(new Map([['a.b', 0]])).estimate('a.c'), MIN_ESTIMATE_SECONDS);
  });

  it('accepts {id, seconds} lists', () => {
    assert.equal(new Estimator([{ id: 'a.b', seconds: 2 }]).estimate('a.b'), 2);
  });

  it('refines tests without history as their neighbours finish, and not from tests with history', () => {
    const e = new Estimator(known);
    const before = e.revision;
    e.observe('p.m.A.t1', 1000);
    assert.equal(e.estimate('p.m.A.t9'), 3);
    assert.equal(e.revision, before);
    e.observe('q.K.t1', 4);
    e.observe('q.K.t2', 8);
    assert.equal(e.estimate('q.K.t3'), 6);
    assert.ok(e.revision > before);
  });

  it('answers the same by index for the tests of a run, whose history also informs the others', () => {
    const tests = ['p.m.A.t1', 'p.m.A.t9', 'p.q.Z.t1', 'x.Y.t1'];
    const run = { tests, indexOf: (id: string) => (tests.includes(id) ? tests.indexOf(id) : undefined) };
    const byIndex = new Estimator(known, { run });
    const byId = new Estimator(known);
    tests.forEach((id, t) => {
      assert.equal(byIndex.estimateAt(t), byId.estimate(id), id);
      assert.equal(byIndex.hasHistoryAt(t), byId.hasHistory(id), id);
    });
    // p.m.A.t2 is not in the run: its history still counts, for itself and its class.
    assert.equal(byIndex.estimate('p.m.A.t2'), 3);
    byIndex.observeAt(3, 7);
    byId.observe('x.Y.t1', 7);
    assert.equal(byIndex.estimate('x.Y.t2'), byId.estimate('x.Y.t2'));
    assert.equal(byIndex.estimateAt(3), 7);
    assert.equal(byIndex.revision, byId.revision);
  });
});
