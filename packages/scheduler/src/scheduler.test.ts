import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerError } from './errors.js';
import type { Command, Dispatch } from './events.js';
import type { Segment } from './plan.js';
import { Scheduler } from './scheduler.js';
import { UnitState, WorkerSession } from './state.js';

const one = (name: string, tests: string[], concurrency?: number): Segment => ({ name, concurrency, units: tests.map((t) => [t]) });
const dispatched = (cmds: readonly Command[], worker?: string): string[] =>
  cmds.filter((c): c is Dispatch => c.type === 'dispatch' && (worker === undefined || c.worker === worker)).flatMap((c) => c.units.flatMap((u) => u.tests));

describe('Scheduler', () => {
  it('dispatches the longest-estimated units first', () => {
    const s = new Scheduler([one('all', ['a', 'b', 'c', 'd'])], { estimates: new Map([['a', 1], ['b', 4], ['c', 2], ['d', 3]]) });
    const out = s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    assert.deepEqual(dispatched(out), ['b', 'd']);
  });

  it('sizes batches by guided self-scheduling: many cheap units early, one at a time at the end', () => {
    const tests = Array.from({ length: 64 }, (_, i) => `t${i}`);
    const s = new Scheduler([one('all', tests)], { estimates: new Map(tests.map((t) => [t, 1])), roundTrip: 0 });
    const sizes: number[] = [];
    let now = 0;
    let queue = dispatched(s.handle({ type: 'workerJoined', worker: 'w1' }, now));
    sizes.push(queue.length);
    while (queue.length > 0) {
      const t = queue.shift() as string;
      const more = dispatched(s.handle({ type: 'testStarted', worker: 'w1', test: t }, now));
      now += 1;
      more.push(...dispatched(s.handle({ type: 'testFinished', worker: 'w1', test: t, duration: 1 }, now)));
      if (more.length > 0) sizes.push(more.length);
      queue.push(...more);
    }
    // 64 units: the first batch is 64 / 2; each next one, sent as the last
    // unit of the previous starts, is about half of what is left.
    assert.equal(sizes[0], 32);
    assert.ok(sizes.every((n, i) => i === 0 || n <= (sizes[i - 1] as number)), `${sizes}`);
    assert.ok((sizes[1] as number) >= 15 && (sizes[2] as number) >= 7, `${sizes}`);
    assert.equal(sizes.at(-1), 1);
    assert.ok(s.finished);
  });

  it('keeps just enough prefetched to hide the round trip', () => {
    const s = new Scheduler([one('all', ['a', 'b', 'c', 'd'])], { estimates: new Map([['a', 4], ['b', 3], ['c', 2], ['d', 1]]), roundTrip: 0.5, expectedWorkers: 4 });
    // The guided share (10 s / 4 workers / 2) is one unit. While it runs (4 s)
    // nothing more is sent; 0.75 s (the prefetch horizon) before its end, the
    // next one is, and no more.
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1' }, 0)), ['a']);
    assert.deepEqual(dispatched(s.handle({ type: 'testStarted', worker: 'w1', test: 'a' }, 1)), []);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 4)), []);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 4.25)), ['b']);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 4.5)), []);
  });

  it('runs a one-test segment alone, and never starts a segment before the previous one finished', () => {
    const s = new Scheduler([one('p', ['a', 'b']), one('alone', ['x']), one('q', ['c', 'd'])]);
    const first = [...s.handle({ type: 'workerJoined', worker: 'w1' }, 0), ...s.handle({ type: 'workerJoined', worker: 'w2' }, 0)];
    assert.deepEqual(dispatched(first).sort(), ['a', 'b']);
    const w1 = dispatched(first, 'w1')[0] as string;
    const w2 = dispatched(first, 'w2')[0] as string;
    s.handle({ type: 'testStarted', worker: 'w1', test: w1 }, 0);
    s.handle({ type: 'testStarted', worker: 'w2', test: w2 }, 0);
    assert.deepEqual(dispatched(s.handle({ type: 'testFinished', worker: 'w1', test: w1, duration: 1 }, 1)), []);
    const alone = s.handle({ type: 'testFinished', worker: 'w2', test: w2, duration: 2 }, 2);
    assert.deepEqual(dispatched(alone), ['x']);
    const holder = (alone.find((c) => c.type === 'dispatch') as Dispatch).worker;
    s.handle({ type: 'testStarted', worker: holder, test: 'x' }, 2);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 3)), []);
    assert.deepEqual(dispatched(s.handle({ type: 'testFinished', worker: holder, test: 'x', duration: 1 }, 3)).sort(), ['c', 'd']);
  });

  it("reports a dead worker's running test lost exactly once and requeues its unstarted tests", () => {
    const s = new Scheduler([one('all', ['a', 'b', 'c'])], { estimates: new Map([['a', 3], ['b', 2], ['c', 1]]), roundTrip: 10 });
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1' }, 0)), ['a', 'b', 'c']);
    s.handle({ type: 'testStarted', worker: 'w1', test: 'a' }, 0);
    const died = s.handle({ type: 'workerDied', worker: 'w1' }, 1);
    assert.deepEqual(died, [{ type: 'lost', worker: 'w1', test: 'a', unit: 0 }]);
    assert.deepEqual(s.handle({ type: 'workerDied', worker: 'w1' }, 2), []);
    assert.equal(s.workerSession('w1'), WorkerSession.Lost);
    assert.equal(s.unitState(0), UnitState.Errored);
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w2' }, 3)), ['b', 'c']);
  });

  it('reclaims from the worker with the most remaining time, not the most tests', () => {
    const small = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const estimates = new Map<string, number>([['B1', 10], ['B2', 9.9], ...small.map((t): [string, number] => [t, 0.1])]);
    const s = new Scheduler([one('all', ['B1', 'B2', ...small])], { estimates, roundTrip: 2 });
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1' }, 0)), ['B1', 'B2']);
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w2' }, 0)).length, 20);
    const out = s.handle({ type: 'workerJoined', worker: 'w3' }, 0);
    assert.deepEqual(out, [{ type: 'reclaim', worker: 'w1', units: [{ unit: 1, tests: ['B2'] }] }]);
    assert.equal(s.unitState(1), UnitState.Reclaiming);
    // The worker gives it back; the worker that asked gets it.
    assert.deepEqual(dispatched(s.handle({ type: 'testsReleased', worker: 'w1', tests: ['B2'] }, 4), 'w3'), ['B2']);
  });

  it('leaves a unit with its worker when it started before the reclaim arrived', () => {
    const s = new Scheduler([one('all', ['B1', 'B2', 'x'])], { estimates: new Map([['B1', 10], ['B2', 9.5], ['x', 1]]), roundTrip: 2 });
    s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    s.handle({ type: 'workerJoined', worker: 'w2' }, 0);
    // w2 starts its last unit: it is worth taking B2 from w1 now.
    const reclaim = s.handle({ type: 'testStarted', worker: 'w2', test: 'x' }, 0);
    assert.deepEqual(reclaim, [{ type: 'reclaim', worker: 'w1', units: [{ unit: 1, tests: ['B2'] }] }]);
    s.handle({ type: 'testStarted', worker: 'w1', test: 'B1' }, 0.1);
    s.handle({ type: 'testFinished', worker: 'w1', test: 'B1', duration: 0.1 }, 0.2);
    s.handle({ type: 'testStarted', worker: 'w1', test: 'B2' }, 0.2);
    assert.deepEqual(s.handle({ type: 'testsReleased', worker: 'w1', tests: [] }, 0.3), []);
    assert.equal(s.unitState(1), UnitState.Running);
  });

  it('refuses a release of part of a group', () => {
    const s = new Scheduler([{ name: 'g', units: [['a', 'b']] }]);
    s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    assert.throws(
      () => s.handle({ type: 'testsReleased', worker: 'w1', tests: ['b'] }, 1),
      (e: unknown) => e instanceof SchedulerError && e.code === 'BATON_SCHED_PARTIAL_RELEASE' && e.worker === 'w1' && /released 1 of the 2 tests of unit 0/.test(e.message),
    );
  });

  it('gives a leaving worker nothing new and takes back what it has not started', () => {
    const s = new Scheduler([one('all', ['a', 'b', 'c'])], { estimates: new Map([['a', 3], ['b', 2], ['c', 1]]), roundTrip: 10 });
    s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    s.handle({ type: 'testStarted', worker: 'w1', test: 'a' }, 0);
    assert.deepEqual(s.handle({ type: 'workerLeft', worker: 'w1' }, 1), [
      {
        type: 'reclaim',
        worker: 'w1',
        units: [
          { unit: 1, tests: ['b'] },
          { unit: 2, tests: ['c'] },
        ],
      },
    ]);
    assert.deepEqual(s.handle({ type: 'testsReleased', worker: 'w1', tests: ['b', 'c'] }, 2), []);
    assert.deepEqual(dispatched(s.handle({ type: 'testFinished', worker: 'w1', test: 'a', duration: 3 }, 3)), []);
    assert.equal(s.workerSession('w1'), WorkerSession.Closed);
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w2' }, 4)), ['b', 'c']);
  });

  it('sends Finish once, after the last test', () => {
    const s = new Scheduler([one('all', ['a'])]);
    s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    assert.deepEqual(s.handle({ type: 'testFinished', worker: 'w1', test: 'a', duration: 1 }, 1), [{ type: 'finish' }]);
    assert.deepEqual(s.handle({ type: 'tick' }, 2), []);
    assert.deepEqual(new Scheduler([]).handle({ type: 'tick' }, 0), [{ type: 'finish' }]);
  });

  it('puts the longest units on the fastest workers when speeds are known', () => {
    const s = new Scheduler([one('all', ['L', 'm1', 'm2', 'm3', 'm4'])], {
      estimates: new Map([['L', 8], ['m1', 1], ['m2', 1], ['m3', 1], ['m4', 1]]),
      expectedWorkers: 2,
      roundTrip: 0,
    });
    s.handle({ type: 'workerJoined', worker: 'fast', speed: 1 }, 0);
    const slow = s.handle({ type: 'workerJoined', worker: 'slow', speed: 0.25 }, 0);
    assert.ok(!dispatched(slow).includes('L'));
  });

  it('learns a worker speed from tests with history', () => {
    const tests = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const s = new Scheduler([one('all', tests)], { estimates: new Map(tests.map((t) => [t, 1])), roundTrip: 100 });
    s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    for (const [i, t] of tests.slice(0, 4).entries()) s.handle({ type: 'testFinished', worker: 'w1', test: t, duration: 2 }, 2 * (i + 1));
    assert.equal(s.slowness('w1'), 2);
  });

  it('refuses events about workers that never joined or tests never dispatched to them', () => {
    const s = new Scheduler([one('all', ['a'])]);
    assert.throws(() => s.handle({ type: 'testStarted', worker: 'ghost', test: 'a' }, 0), { code: 'BATON_SCHED_UNKNOWN_WORKER' });
    s.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    s.handle({ type: 'workerJoined', worker: 'w2' }, 0);
    assert.throws(() => s.handle({ type: 'testStarted', worker: 'w2', test: 'a' }, 0), { code: 'BATON_SCHED_UNKNOWN_TEST', testId: 'a' });
  });
});
