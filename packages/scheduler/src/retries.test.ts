import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, Dispatch, SchedulerEvent } from './events.js';
import type { Segment } from './plan.js';
import { Scheduler } from './scheduler.js';

const singles = (name: string, tests: string[], concurrency?: number): Segment => ({ name, concurrency, units: tests.map((t) => [t]) });
const dispatches = (cmds: readonly Command[]): Dispatch[] => cmds.filter((c): c is Dispatch => c.type === 'dispatch');
const sentTo = (cmds: readonly Command[], worker: string): string[] => dispatches(cmds).filter((d) => d.worker === worker).flatMap((d) => d.units.flatMap((u) => u.tests));

/** A scheduler and the commands of each event, with the run's workers joined. */
function run(segments: Segment[], workers: string[], estimates: Record<string, number>): { s: Scheduler; on(event: SchedulerEvent, now: number): Command[] } {
  const s = new Scheduler(segments, { estimates: new Map(Object.entries(estimates)), expectedWorkers: workers.length, roundTrip: 0.001, freshProcess: 0 });
  const on = (event: SchedulerEvent, now: number) => s.handle(event, now);
  // Slots of one machine: equally fast, as `baton run -j N` tells the scheduler.
  for (const w of workers) on({ type: 'workerJoined', worker: w, speed: 1 }, 0);
  return { s, on };
}

describe('Scheduler retries', () => {
  it('sends a failed test, alone and on a fresh process, to another worker, and finishes only after it', () => {
    const { s, on } = run([singles('all', ['a', 'b', 'c', 'd'])], ['w1', 'w2'], { a: 1, b: 1, c: 1, d: 1 });
    on({ type: 'testStarted', worker: 'w1', test: 'a' }, 0);
    const failed = on({ type: 'testFinished', worker: 'w1', test: 'a', duration: 1, retry: true }, 1);
    const retry = dispatches(failed).find((d) => d.units.some((u) => u.fresh));
    assert.ok(retry, 'the retry is dispatched at once');
    assert.equal(retry.worker, 'w2', 'away from the worker its attempt failed on');
    assert.deepEqual(retry.units, [{ unit: 4, tests: ['a'], fresh: true }], 'a unit of its own');
    assert.equal(s.holderOf('a'), 'w2', 'results of the retry are routed to its new worker');
    assert.equal(s.runningTest('w1'), undefined, 'nothing runs on the worker whose attempt failed');
    assert.equal(s.freshProcesses, 1);

    // Everything else finishes; the run waits for the retry.
    const rest: Command[] = [];
    for (const t of ['b', 'c', 'd']) {
      const w = s.holderOf(t)!;
      on({ type: 'testStarted', worker: w, test: t }, 2);
      rest.push(...on({ type: 'testFinished', worker: w, test: t, duration: 1 }, 3));
    }
    assert.ok(!rest.some((c) => c.type === 'finish') && !s.finished);
    on({ type: 'testStarted', worker: 'w2', test: 'a' }, 4);
    assert.deepEqual(on({ type: 'testFinished', worker: 'w2', test: 'a', duration: 1 }, 5), [{ type: 'finish' }]);
  });

  it('retries on the same worker when it is the only one, and again after a second failure', () => {
    const { s, on } = run([singles('all', ['a'])], ['w1'], { a: 1 });
    on({ type: 'testStarted', worker: 'w1', test: 'a' }, 0);
    assert.deepEqual(sentTo(on({ type: 'testFinished', worker: 'w1', test: 'a', duration: 1, retry: true }, 1), 'w1'), ['a']);
    on({ type: 'testStarted', worker: 'w1', test: 'a' }, 1);
    const second = on({ type: 'testFinished', worker: 'w1', test: 'a', duration: 1, retry: true }, 2);
    assert.deepEqual(dispatches(second).map((d) => d.units), [[{ unit: 2, tests: ['a'], fresh: true }]], 'each attempt a unit of its own');
    assert.equal(s.freshProcesses, 2);
    assert.deepEqual(on({ type: 'testFinished', worker: 'w1', test: 'a', duration: 1 }, 3), [{ type: 'finish' }]);
  });

  it('goes to the worker that would be done soonest, not the first one', () => {
    const { s, on } = run([singles('all', ['big', 'm1', 'm2', 'x'])], ['w1', 'w2', 'w3'], { big: 10, m1: 3, m2: 3, x: 1 });
    // Lanes longest first: big | m1, x | m2.
    on({ type: 'testStarted', worker: 'w1', test: 'big' }, 0);
    on({ type: 'testStarted', worker: 'w3', test: 'm2' }, 0);
    on({ type: 'testStarted', worker: 'w2', test: 'm1' }, 0);
    on({ type: 'testFinished', worker: 'w2', test: 'm1', duration: 3 }, 3);
    assert.deepEqual(['big', 'm2', 'x'].map((t) => s.holderOf(t)), ['w1', 'w3', 'w2']);
    on({ type: 'testStarted', worker: 'w2', test: 'x' }, 3);
    const failed = on({ type: 'testFinished', worker: 'w2', test: 'x', duration: 1, retry: true }, 4);
    // w1 has six seconds of big left, w3 nothing once m2 ends: w3 takes it.
    assert.deepEqual(sentTo(failed, 'w3'), ['x']);
  });

  it('keeps a retry out of steals, and gives it to another worker when its worker dies before running it', () => {
    const { s, on } = run([singles('all', ['a', 'b', 'c'])], ['w1', 'w2', 'w3'], { a: 1, b: 10, c: 10 });
    const holder = s.holderOf('a')!;
    on({ type: 'testStarted', worker: holder, test: 'a' }, 0);
    const failed = on({ type: 'testFinished', worker: holder, test: 'a', duration: 1, retry: true }, 1);
    const retry = dispatches(failed).find((d) => d.units.some((u) => u.fresh))!;
    assert.notEqual(retry.worker, holder);
    // The worker where it failed runs dry and looks for work: the retry is never taken back.
    const idle = on({ type: 'tick' }, 1.5);
    assert.ok(!idle.some((c) => c.type === 'reclaim' && c.units.some((u) => u.tests.includes('a'))));
    // Its new worker dies before starting it: it waits again, and goes to a live worker.
    const died = on({ type: 'workerDied', worker: retry.worker }, 2);
    assert.ok(!died.some((c) => c.type === 'lost' && c.test === 'a'), 'a retry not started is not lost');
    const again = dispatches(died).find((d) => d.units.some((u) => u.fresh && u.tests.includes('a')));
    assert.ok(again && again.worker !== retry.worker);
    assert.equal(s.holderOf('a'), again.worker);
  });

  it('reports a retry lost once when its worker dies running it, and never the failed attempt', () => {
    const { s, on } = run([singles('all', ['a', 'b'])], ['w1', 'w2'], { a: 1, b: 1 });
    const first = s.holderOf('a')!;
    on({ type: 'testStarted', worker: first, test: 'a' }, 0);
    const retry = dispatches(on({ type: 'testFinished', worker: first, test: 'a', duration: 1, retry: true }, 1)).find((d) => d.units.some((u) => u.fresh))!;
    // The worker whose attempt failed dies before it starts anything else: the failed test is not lost there.
    if (first !== retry.worker) assert.ok(!on({ type: 'workerDied', worker: first }, 1.5).some((c) => c.type === 'lost'));
    on({ type: 'testStarted', worker: retry.worker, test: 'a' }, 2);
    assert.deepEqual(
      on({ type: 'workerDied', worker: retry.worker }, 3).filter((c) => c.type === 'lost'),
      [{ type: 'lost', worker: retry.worker, test: 'a', unit: 2 }],
    );
  });

  it('lets the rest of a group go on where it was, and holds the next segment until the retry is done', () => {
    const segments: Segment[] = [{ name: 'first', units: [['g1', 'g2', 'g3']] }, singles('second', ['z'])];
    const { s, on } = run(segments, ['w1', 'w2'], { g1: 1, g2: 1, g3: 1, z: 1 });
    const w = s.holderOf('g1')!;
    on({ type: 'testStarted', worker: w, test: 'g1' }, 0);
    const failed = on({ type: 'testFinished', worker: w, test: 'g1', duration: 1, retry: true }, 1);
    const other = w === 'w1' ? 'w2' : 'w1';
    assert.deepEqual(sentTo(failed, other), ['g1']);
    for (const t of ['g2', 'g3']) {
      on({ type: 'testStarted', worker: w, test: t }, 2);
      assert.deepEqual(sentTo(on({ type: 'testFinished', worker: w, test: t, duration: 1 }, 3), w), [], 'the second segment waits');
    }
    assert.equal(s.holderOf('g2'), undefined);
    on({ type: 'testStarted', worker: other, test: 'g1' }, 4);
    const done = on({ type: 'testFinished', worker: other, test: 'g1', duration: 1 }, 5);
    assert.deepEqual(dispatches(done).flatMap((d) => d.units.flatMap((u) => u.tests)), ['z']);
  });

  it('waits under a segment concurrency of one for the worker holding work, then retries there', () => {
    const { on } = run([singles('serial', ['a', 'b'], 1)], ['w1', 'w2'], { a: 1, b: 1 });
    on({ type: 'testStarted', worker: 'w1', test: 'a' }, 0);
    const failed = on({ type: 'testFinished', worker: 'w1', test: 'a', duration: 1, retry: true }, 1);
    // w1 holds b: w2 may not take work beside it, so the retry goes after b, on w1.
    assert.deepEqual(sentTo(failed, 'w2'), []);
    assert.deepEqual(sentTo(failed, 'w1'), ['b', 'a']);
  });
});
