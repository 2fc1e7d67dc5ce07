import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerError } from './errors.js';
import type { Command, Dispatch, Reclaim, SchedulerEvent } from './events.js';
import type { Segment } from './plan.js';
import { Scheduler } from './scheduler.js';
import { UnitState, WorkerSession } from './state.js';

const one = (name: string, tests: string[], concurrency?: number): Segment => ({ name, concurrency, units: tests.map((t) => [t]) });
const dispatched = (cmds: readonly Command[], worker?: string): string[] =>
  cmds.filter((c): c is Dispatch => c.type === 'dispatch' && (worker === undefined || c.worker === worker)).flatMap((c) => c.units.flatMap((u) => u.tests));

/**
 * Plays workers that run what they are sent in order, one test at a time, and answer a
 * Reclaim as workers before protocol groups did: test by test, every asked test not
 * started, the tail of a started unit included. The test decides when each event
 * happens, so the race between a Reclaim and the start of the unit it asks for can be
 * played in both orders.
 */
class Workers {
  readonly queues = new Map<string, string[]>();
  readonly running = new Map<string, string>();
  reclaims: Reclaim[] = [];
  finished = false;
  constructor(private readonly s: Scheduler) {}
  feed(cmds: readonly Command[]): void {
    for (const c of cmds) {
      if (c.type === 'dispatch') this.queues.set(c.worker, [...(this.queues.get(c.worker) ?? []), ...c.units.flatMap((u) => u.tests)]);
      else if (c.type === 'reclaim') this.reclaims.push(c);
      else if (c.type === 'finish') this.finished = true;
    }
  }
  on(event: SchedulerEvent, now: number): void {
    this.feed(this.s.handle(event, now));
  }
  start(w: string, now: number): string | undefined {
    const test = this.queues.get(w)?.shift();
    if (test === undefined) return undefined;
    this.running.set(w, test);
    this.on({ type: 'testStarted', worker: w, test }, now);
    return test;
  }
  finish(w: string, now: number, duration = 1): void {
    const test = this.running.get(w) as string;
    this.running.delete(w);
    this.on({ type: 'testFinished', worker: w, test, duration }, now);
  }
  /** What the worker would release test by test; it forgets those tests. */
  release(reclaim: Reclaim): string[] {
    const asked = new Set(reclaim.units.flatMap((u) => u.tests));
    const queue = this.queues.get(reclaim.worker) ?? [];
    this.queues.set(reclaim.worker, queue.filter((t) => !asked.has(t)));
    return queue.filter((t) => asked.has(t));
  }
  /** Runs every worker's queue to the end; returns the tests run. */
  drain(workers: readonly string[], now: number): number {
    let ran = 0;
    for (let busy = true; busy; ) {
      busy = false;
      for (const w of workers) {
        if (this.start(w, now) === undefined) continue;
        this.finish(w, (now += 1));
        ran++;
        busy = true;
      }
    }
    return ran;
  }
}

describe('Scheduler', () => {
  it('plans one lane per expected worker, longest unit first, and sends each lane in discovery order', () => {
    const s = new Scheduler([one('all', ['a', 'b', 'c', 'd'])], { estimates: new Map([['a', 0.05], ['b', 4], ['c', 0.05], ['d', 3]]), expectedWorkers: 2 });
    // Planned once both are here: longest first into the lane that finishes soonest:
    // b | d, a, c; each lane then in discovery order.
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0)), []);
    const both = s.handle({ type: 'workerJoined', worker: 'w2', speed: 1 }, 0);
    assert.deepEqual(dispatched(both, 'w1'), ['b']);
    assert.deepEqual(dispatched(both, 'w2'), ['a', 'c', 'd']);
  });

  it('starts a lane at its longest unit when much comes before it, and wraps round on a fresh process for that', () => {
    const ids = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 'big'];
    const s = new Scheduler([one('all', ids)], { estimates: new Map(ids.map((id) => [id, id === 'big' ? 6 : 1])), roundTrip: 100, expectedWorkers: 2 });
    const d = new Workers(s);
    d.on({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0);
    d.on({ type: 'workerJoined', worker: 'w2', speed: 1 }, 0);
    // Lanes: big, t6, t8 | t0…t5, t7. A test far longer than its history (stale) shows
    // it at once, not after the two before it.
    assert.deepEqual(d.queues.get('w1'), ['big']);
    assert.deepEqual(d.queues.get('w2'), ['t0', 't1', 't2', 't3', 't4', 't5', 't7']);
    d.drain(['w1', 'w2'], 0);
    assert.ok(d.finished);
    // t6 and t8 came in a Run of their own, behind w1's process: one fresh process.
    assert.equal(s.freshProcesses, 1);
  });

  it('never leads a lone lane: one slot runs one process, in discovery order', () => {
    const ids = ['t0', 't1', 't2', 'big'];
    const s = new Scheduler([one('all', ids)], { estimates: new Map(ids.map((id) => [id, id === 'big' ? 6 : 1])), roundTrip: 100 });
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0)), ids);
  });

  it('follows the discovery order it is given, not the order of the plan', () => {
    const s = new Scheduler([{ name: 'all', units: [['z'], ['x', 'y']] }], { discovery: ['x', 'y', 'z'], estimates: new Map([['x', 1], ['y', 1], ['z', 1]]) });
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1' }, 0)), ['x', 'y']);
  });

  it('sizes batches by guided self-scheduling: many cheap units early, one at a time at the end', () => {
    const tests = Array.from({ length: 64 }, (_, i) => `t${i}`);
    const s = new Scheduler([one('all', tests)], { estimates: new Map(tests.map((t) => [t, 1])), roundTrip: 0 });
    const sizes: number[] = [];
    let now = 0;
    let queue = dispatched(s.handle({ type: 'workerJoined', worker: 'w1', speed: 1 }, now));
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

  it('sends more of a lane only when what the worker holds gets short', () => {
    const s = new Scheduler([one('all', ['a', 'b', 'c', 'd'])], { estimates: new Map([['a', 4], ['b', 3], ['c', 2], ['d', 1]]), roundTrip: 0.5, expectedWorkers: 4 });
    // One lane per expected worker: a | b | c | d. While a runs, the lanes of workers
    // still to come stay unsent; once a's rest is below half the work of a lane
    // nobody runs (guided self-scheduling), w1 adopts that lane.
    // Lanes wait for the expected workers, or for the coordinator's next tick.
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0)), []);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 0)), ['a']);
    assert.deepEqual(dispatched(s.handle({ type: 'testStarted', worker: 'w1', test: 'a' }, 1)), []);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 3.4)), []);
    assert.deepEqual(dispatched(s.handle({ type: 'tick' }, 3.6)), ['b']);
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w2', speed: 1 }, 3.7)), ['c']);
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

  it('gives a late worker the units that balance best, the long one in the middle of a lane included, without a reclaim', () => {
    const ids = Array.from({ length: 21 }, (_, i) => (i === 15 ? 'big' : `t${String(i).padStart(2, '0')}`));
    const s = new Scheduler([one('all', ids)], { estimates: new Map(ids.map((id) => [id, id === 'big' ? 10 : 1])), roundTrip: 0.01 });
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0)), ids.slice(0, 15));
    const out = s.handle({ type: 'workerJoined', worker: 'w2', speed: 1 }, 0);
    assert.ok(!out.some((c) => c.type === 'reclaim'), 'what is still in the lane moves without a message to its worker');
    assert.deepEqual(dispatched(out, 'w2'), ['big']);
    // The rest of what it took follows, in discovery order, once it runs.
    s.handle({ type: 'testStarted', worker: 'w2', test: 'big' }, 0.1);
    const more = dispatched(s.handle({ type: 'testFinished', worker: 'w2', test: 'big', duration: 10 }, 10.1), 'w2');
    assert.deepEqual(more, ['t16', 't17', 't18']);
  });

  it('reclaims sent units from the busiest worker once its lane is empty; the worker that asked gets them', () => {
    const small = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const estimates = new Map<string, number>([['B1', 10], ['B2', 9.9], ...small.map((t): [string, number] => [t, 0.1])]);
    const s = new Scheduler([one('all', ['B1', 'B2', ...small])], { estimates, roundTrip: 2 });
    assert.deepEqual(dispatched(s.handle({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0)), ['B1', 'B2']);
    const joined = s.handle({ type: 'workerJoined', worker: 'w2', speed: 1 }, 0);
    // The lane's small units go at once; one long unit is asked back from w1.
    assert.deepEqual(dispatched(joined, 'w2'), small);
    assert.deepEqual(
      joined.filter((c) => c.type === 'reclaim'),
      [{ type: 'reclaim', worker: 'w1', units: [{ unit: 0, tests: ['B1'] }] }],
    );
    assert.equal(s.unitState(0), UnitState.Reclaiming);
    s.handle({ type: 'testStarted', worker: 'w1', test: 'B2' }, 1);
    assert.deepEqual(dispatched(s.handle({ type: 'testsReleased', worker: 'w1', tests: ['B1'] }, 2), 'w2'), ['B1']);
  });

  for (const order of ['start first', 'release first'] as const)
    it(`never stalls when the first test of a reclaimed unit starts while the Reclaim is in flight (${order})`, () => {
      // Two workers, twelve 5-test class units; w1 is slower than estimated, so w2 runs
      // dry and asks for w1's units back.
      const units = Array.from({ length: 12 }, (_, u) => Array.from({ length: 5 }, (_, t) => `m.C${String(u).padStart(2, '0')}.t${t}`));
      const s = new Scheduler([{ name: 'all', units }], { estimates: new Map(units.flat().map((id) => [id, 1])), expectedWorkers: 2, freshProcess: 0 });
      const d = new Workers(s);
      d.on({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0);
      d.on({ type: 'workerJoined', worker: 'w2', speed: 1 }, 0);
      let now = 0;
      d.start('w1', now);
      // w2 runs everything it gets while w1 is stuck in its first test.
      while (d.reclaims.length === 0 && d.start('w2', now) !== undefined) d.finish('w2', (now += 0.1));
      assert.equal(d.reclaims.length, 1, 'w2 ran dry and w1 was asked for units back');
      const reclaim = d.reclaims.pop() as Reclaim;
      assert.equal(reclaim.worker, 'w1');
      // w1 finishes its running unit, then starts the first unit asked back.
      const asked = reclaim.units[0]!.tests;
      while (d.queues.get('w1')?.[0] !== asked[0]) {
        d.finish('w1', (now += 1));
        d.start('w1', now);
      }
      d.finish('w1', (now += 1));
      if (order === 'start first') {
        d.start('w1', now);
        d.on({ type: 'testsReleased', worker: 'w1', tests: d.release(reclaim) }, (now += 0.01));
      } else {
        const released = d.release(reclaim);
        d.queues.get('w1')?.unshift(asked[0]!);
        d.on({ type: 'testsReleased', worker: 'w1', tests: released.filter((t) => t !== asked[0]) }, (now += 0.01));
        d.start('w1', now);
      }
      d.finish('w1', (now += 1));
      d.drain(['w1', 'w2'], now);
      assert.equal(s.stall(), undefined);
      assert.ok(d.finished, 'every test ran: the tail of the cut unit was queued again');
    });

  it('takes back the tail of the unit a leaving worker runs, when it gives the tail back', () => {
    const units = [['a1', 'a2', 'a3', 'a4'], ['b1', 'b2']];
    const s = new Scheduler([{ name: 'all', units }], { estimates: new Map(units.flat().map((id) => [id, 1])), roundTrip: 100 });
    const d = new Workers(s);
    d.on({ type: 'workerJoined', worker: 'w1' }, 0);
    d.start('w1', 0);
    d.on({ type: 'workerLeft', worker: 'w1' }, 0.5);
    const reclaim = d.reclaims.pop() as Reclaim;
    // A worker that releases test by test gives back a2…a4 too; it runs a1 to its end.
    const released = [...d.release(reclaim), ...(d.queues.get('w1')?.splice(0) ?? [])];
    d.on({ type: 'testsReleased', worker: 'w1', tests: released }, 0.6);
    d.finish('w1', 1);
    assert.equal(s.workerSession('w1'), WorkerSession.Closed);
    d.on({ type: 'workerJoined', worker: 'w2' }, 2);
    assert.equal(d.drain(['w2'], 2), 5);
    assert.ok(d.finished);
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
    assert.ok(dispatched(slow, 'fast').includes('L'));
    assert.ok(!dispatched(slow, 'slow').includes('L'));
  });

  it('holds a test that would make the run longer on a slow worker until first results show which worker is fast', () => {
    const ids = ['L', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'];
    const s = new Scheduler([one('all', ids)], { estimates: new Map(ids.map((id) => [id, id === 'L' ? 100 : 1])), roundTrip: 0.01, expectedWorkers: 2 });
    s.handle({ type: 'workerJoined', worker: 'slow' }, 0);
    const start = s.handle({ type: 'workerJoined', worker: 'fast' }, 0);
    assert.ok(!dispatched(start).includes('L'), 'L waits while both speeds are unknown');
    s.handle({ type: 'testStarted', worker: 'slow', test: 'm1' }, 0);
    s.handle({ type: 'testStarted', worker: 'fast', test: 'm5' }, 0);
    assert.ok(!dispatched(s.handle({ type: 'testFinished', worker: 'fast', test: 'm5', duration: 1 }, 1)).includes('L'));
    // slow takes twice its history: L goes to fast.
    assert.deepEqual(dispatched(s.handle({ type: 'testFinished', worker: 'slow', test: 'm1', duration: 2 }, 2), 'fast'), ['L']);
  });

  it('keeps holding a long test whose lane held nothing else: its idle worker does not end the wait for speeds', () => {
    // L alone fills one lane; held back, it leaves that worker with nothing, and B and C
    // are not worth taking from the others.
    const estimates = new Map([['L', 100], ['B', 1], ['C', 1]]);
    const s = new Scheduler([one('all', ['B', 'C', 'L'])], { estimates, roundTrip: 0.01, expectedWorkers: 3 });
    const d = new Workers(s);
    for (const w of ['w1', 'w2', 'w3']) d.on({ type: 'workerJoined', worker: w }, 0);
    const holder = (test: string): string | undefined => [...d.queues].find(([, tests]) => tests.includes(test))?.[0];
    assert.equal(holder('L'), undefined, 'L waits while every speed is unknown');
    const [b, c] = [holder('B') as string, holder('C') as string];
    d.start(b, 0);
    d.start(c, 0);
    // C's worker proves twice as fast as history says, B's as fast: L goes to C's.
    d.finish(c, 0.5, 0.5);
    d.finish(b, 1, 1);
    assert.equal(holder('L'), c);
  });

  it('leads each lane by its longest unit once the wait for speeds is over, as a lane planned with known speeds is', () => {
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b', 'c', 'L1', 'L2'];
    const estimates = new Map(ids.map((id) => [id, id.startsWith('L') ? 100 : id === 'b' || id === 'c' ? 30 : 1]));
    const s = new Scheduler([one('all', ids)], { estimates, roundTrip: 0.01, expectedWorkers: 2 });
    const d = new Workers(s);
    d.on({ type: 'workerJoined', worker: 'w1' }, 0);
    d.on({ type: 'workerJoined', worker: 'w2' }, 0);
    // While speeds are unknown, lanes start where discovery order does, to measure soon.
    assert.deepEqual([d.queues.get('w1'), d.queues.get('w2')], [['a1'], ['a2']]);
    d.start('w1', 0);
    d.start('w2', 0);
    d.finish('w1', 1);
    d.finish('w2', 1);
    // Measured: after what they hold, each lane runs its longest (b, c) first, then wraps
    // round to the short tests before it (a5, a6).
    const order: string[] = [];
    for (let now = 1, busy = true; busy; ) {
      busy = false;
      for (const w of ['w1', 'w2']) {
        const test = d.start(w, now);
        if (test === undefined) continue;
        order.push(test);
        d.finish(w, (now += 1));
        busy = true;
      }
    }
    assert.ok(order.indexOf('b') < order.indexOf('a5') && order.indexOf('c') < order.indexOf('a6'), order.join(' '));
  });

  it('levels lanes planned at equal speeds once results show a worker is slow, without a fresh process or a reclaim', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const s = new Scheduler([one('all', ids)], { estimates: new Map(ids.map((id) => [id, 1])), roundTrip: 0.01, expectedWorkers: 2 });
    const d = new Workers(s);
    d.on({ type: 'workerJoined', worker: 'slow' }, 0);
    d.on({ type: 'workerJoined', worker: 'fast' }, 0);
    // Each worker runs what it holds, the slow one three times as long as history says.
    const seconds: Record<string, number> = { slow: 3, fast: 1 };
    const free: Record<string, number> = { slow: 0, fast: 0 };
    const ran: Record<string, number> = { slow: 0, fast: 0 };
    for (;;) {
      const w = ['slow', 'fast'].filter((x) => (d.queues.get(x) ?? []).length > 0).sort((a, b) => (free[a] as number) - (free[b] as number))[0];
      if (w === undefined) break;
      d.start(w, free[w] as number);
      free[w] = (free[w] as number) + (seconds[w] as number);
      d.finish(w, free[w] as number, seconds[w]);
      ran[w] = (ran[w] as number) + 1;
    }
    assert.ok(d.finished);
    // 20 tests over speeds 1/3 and 1 end together at 15 s: the slow worker runs 5.
    assert.deepEqual([ran, Math.max(free.slow as number, free.fast as number)], [{ slow: 5, fast: 15 }, 15]);
    assert.equal(d.reclaims.length, 0);
    assert.equal(s.freshProcesses, 0);
  });

  it('takes back what a worker holds once its running test has overrun its estimate', () => {
    const ids = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
    const s = new Scheduler([one('all', ids)], { estimates: new Map(ids.map((id) => [id, 1])), roundTrip: 0.01, expectedWorkers: 2 });
    const d = new Workers(s);
    d.on({ type: 'workerJoined', worker: 'w1', speed: 1 }, 0);
    d.on({ type: 'workerJoined', worker: 'w2', speed: 1 }, 0);
    assert.deepEqual(d.queues.get('w1'), ['a0', 'a2']);
    // a0 never ends; w2 runs everything else it can get.
    d.start('w1', 0);
    let now = 0;
    while (d.reclaims.length === 0 && d.start('w2', now) !== undefined) d.finish('w2', (now += 1));
    // Expecting a0 to end any moment, a2 would wait behind it for good.
    assert.deepEqual(d.reclaims.map((r) => [r.worker, r.units.flatMap((u) => u.tests)]), [['w1', ['a2']]]);
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
