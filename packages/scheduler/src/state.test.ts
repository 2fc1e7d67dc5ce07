import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerError } from './errors.js';
import { Ledger, UnitState } from './state.js';

const segments = [{ name: 'all', concurrency: undefined, units: [['a'], ['g1', 'g2'], ['c']] }];

describe('Ledger', () => {
  it('finds a test a worker starts out of the order it was sent, and one finished without a start', () => {
    const l = new Ledger(segments);
    const w = l.join('w');
    for (const u of l.units) l.assign(w, u);
    assert.equal(l.started('w', 'c', 0), l.units[2]);
    assert.equal(l.finishedTest('w', 'c', 1).unitDone, true);
    assert.equal(l.started('w', 'g1', 1), l.units[1]);
    const a = l.finishedTest('w', 'a', 2);
    assert.ok(a.unit === l.units[0] && a.unitDone && !a.segmentDone);
    l.finishedTest('w', 'g1', 3);
    assert.equal(l.finishedTest('w', 'g2', 4).segmentDone, true);
    assert.ok(l.advance() && l.finished);
  });

  it('refuses a test finished twice and a test of another worker, changing nothing', () => {
    const l = new Ledger(segments);
    const w = l.join('w');
    const v = l.join('v');
    l.assign(w, l.units[1]!);
    l.assign(v, l.units[0]!);
    l.finishedTest('w', 'g1', 1);
    assert.throws(() => l.finishedTest('w', 'g1', 2), (e: SchedulerError) => e.code === 'BATON_SCHED_UNKNOWN_TEST' && /already finished/.test(e.message));
    assert.throws(() => l.started('w', 'a', 2), (e: SchedulerError) => e.code === 'BATON_SCHED_UNKNOWN_TEST' && /not dispatched/.test(e.message));
    assert.equal(l.units[1]!.settled, 1);
    assert.equal(l.units[0]!.state, UnitState.Dispatched);
  });

  it('refuses a test twice in the run', () => {
    assert.throws(() => new Ledger([{ name: 's', concurrency: undefined, units: [['a'], ['b', 'a']] }]), (e: SchedulerError) => e.code === 'BATON_SCHED_DUPLICATE_TEST');
  });
});
